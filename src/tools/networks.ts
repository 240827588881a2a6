import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { isMcpPodmanError, McpPodmanError } from '../errors.js';
import type { PodmanClient } from '../podman/client.js';
import { MANAGED_LABELS } from '../podman/labels.js';
import { containerNotFound } from './containers.js';
import { libpodObject } from './libpod-object.js';
import { shortId, table, truncationNote } from './render.js';
import { coded, containerRef, filtersOf, labelsRecord, objectName, objectRef } from './schemas.js';
import { DESTRUCTIVE, defineTool, MUTATING, READ_ONLY, type ToolContext, type ToolDef } from './types.js';

/** Podman's default network: every container without a network joins it, so it is never removed. */
const DEFAULT_NETWORK = 'podman';

const networkKind = libpodObject(
  'networks',
  'NETWORK_NOT_FOUND',
  (name) => `No network "${name}". Use podman_network_list to list networks.`,
);
export const networkNotFound = networkKind.notFound;
const networkPath = networkKind.path;

/** Fails with NETWORK_NOT_FOUND unless the network exists (so later 404s can only mean the container). */
export async function requireNetwork(
  client: PodmanClient,
  name: string,
  signal?: AbortSignal,
): Promise<void> {
  await client.call('GET', networkPath(name, '/exists'), { signal, notFound: networkNotFound(name) });
}

interface PodmanNetwork {
  name: string;
  id: string;
  driver: string;
  network_interface?: string;
  created?: string;
  subnets?: { subnet: string; gateway?: string }[] | null;
  ipv6_enabled?: boolean;
  internal?: boolean;
  dns_enabled?: boolean;
  labels?: Record<string, string> | null;
  options?: Record<string, string> | null;
}

function parseCidr(v: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, extra] = v.split('/');
  if (prefixText === undefined || extra !== undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (isIPv4(address) && prefix <= 32) return { address, prefix, family: 'ipv4' };
  if (isIPv6(address) && prefix <= 128) return { address, prefix, family: 'ipv6' };
  return undefined;
}

function inSubnet(ip: string, subnet: string): boolean {
  const cidr = parseCidr(subnet);
  if (!cidr || (cidr.family === 'ipv4' ? !isIPv4(ip) : !isIPv6(ip))) return false;
  const list = new BlockList();
  list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  return list.check(ip, cidr.family);
}

const subnetCidr = z
  .string()
  .max(64)
  .refine((v) => parseCidr(v) !== undefined, {
    message: 'must be a CIDR subnet such as 10.89.10.0/24 or fd00:1::/64',
  });

const ipAddress = z
  .string()
  .max(64)
  .refine((v) => isIPv4(v) || isIPv6(v), { message: 'must be an IPv4 or IPv6 address' });

/**
 * Network create has two conflicts, a taken name and a used subnet, and the client's single
 * `conflict` message can only name one; the subnet one is told apart by Podman's wording.
 */
async function conflictOn<T>(work: Promise<T>, pattern: RegExp, message: string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isMcpPodmanError(err) && pattern.test(String(err.details.podman ?? '')))
      throw new McpPodmanError('CONFLICT', message, { details: err.details, cause: err });
    throw err;
  }
}

const create = defineTool({
  name: 'podman_network_create',
  title: 'Create a network',
  description:
    'Create a network. Containers on a bridge network with dns=true resolve each other by name. internal=true cuts it off ' +
    'from the outside. macvlan and ipvlan need a subnet. The network is labelled io.mcp-podman.managed=true.',
  toolset: 'networks',
  input: z
    .object({
      name: objectName.describe('Network name (required)'),
      driver: z
        .enum(['bridge', 'macvlan', 'ipvlan'])
        .default('bridge')
        .describe('Network driver: bridge (default), macvlan or ipvlan'),
      subnet: subnetCidr.optional().describe('Subnet in CIDR form, e.g. 10.89.10.0/24 (default: a free one)'),
      gateway: ipAddress
        .optional()
        .describe('Gateway address inside the subnet (default: its first address)'),
      internal: z
        .boolean()
        .default(false)
        .describe('Cut the network off from the outside: only its containers reach each other'),
      labels: labelsRecord.default({}).describe('Labels to set (io.mcp-podman.managed=true is always added)'),
      dns: z
        .boolean()
        .optional()
        .describe('Run the DNS server so containers resolve each other by name (default true for bridge)'),
    })
    .superRefine((args, issues) => {
      if (args.gateway && !args.subnet)
        issues.addIssue({ code: 'custom', path: ['gateway'], message: 'a gateway needs a subnet' });
      if (args.gateway && args.subnet && !inSubnet(args.gateway, args.subnet))
        issues.addIssue({ code: 'custom', path: ['gateway'], message: `must lie inside ${args.subnet}` });
      if (args.driver !== 'bridge' && !args.subnet)
        issues.addIssue({
          code: 'custom',
          path: ['subnet'],
          message: `the ${args.driver} driver needs a subnet (DHCP is not supported)`,
        });
    }),
  annotations: MUTATING,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const ipv6 = args.subnet ? parseCidr(args.subnet)?.family === 'ipv6' : false;
    const created = await conflictOn(
      client.json<PodmanNetwork>('POST', '/libpod/networks/create', {
        body: {
          name: args.name,
          driver: args.driver,
          subnets: args.subnet ? [{ subnet: args.subnet, gateway: args.gateway }] : undefined,
          ipv6_enabled: ipv6,
          internal: args.internal,
          dns_enabled: args.dns ?? args.driver === 'bridge',
          labels: { ...args.labels, ...MANAGED_LABELS },
        },
        signal: ctx.signal,
        conflict: {
          message: `A network named "${args.name}" already exists. Use it, or remove it with podman_network_rm first.`,
        },
      }),
      /already used/i,
      `Subnet ${args.subnet} is already used by another network or on the host. Choose another subnet; podman_network_list shows the ones in use.`,
    );
    const network = summarize(created);
    return {
      text: `Created network ${network.name} (${shortId(network.id)}): ${network.driver}, ${network.subnets.join(', ') || 'no subnet'}${network.internal ? ', internal' : ''}${network.dns ? ', DNS on' : ''}.`,
      data: { network },
    };
  },
});

function summarize(n: PodmanNetwork) {
  return {
    name: n.name,
    id: n.id,
    driver: n.driver,
    interface: n.network_interface,
    subnets: (n.subnets ?? []).map((s) => s.subnet),
    gateways: (n.subnets ?? []).map((s) => s.gateway).filter((g): g is string => Boolean(g)),
    internal: Boolean(n.internal),
    dns: Boolean(n.dns_enabled),
    ipv6: Boolean(n.ipv6_enabled),
    labels: n.labels ?? {},
    created: n.created,
  };
}

const list = defineTool({
  name: 'podman_network_list',
  title: 'List networks',
  description: 'List networks with their driver, subnets and flags. Filters combine (all must match).',
  toolset: 'networks',
  input: z.object({
    filters: z
      .object({
        name: z
          .string()
          .max(253)
          .optional()
          .describe('Filter by name (regular expression, as Podman matches)'),
        label: z.string().max(4096).optional().describe('Filter by label: "key" or "key=value"'),
        driver: z.enum(['bridge', 'macvlan', 'ipvlan']).optional().describe('Filter by driver'),
      })
      .strict()
      .default({})
      .describe('Filter networks by criteria'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(200)
      .default(50)
      .describe('Maximum number of networks (default 50, max 200)'),
  }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const filters = filtersOf({ ...args.filters });
    const all = await client.json<PodmanNetwork[]>('GET', '/libpod/networks/json', {
      query: { filters },
      signal: ctx.signal,
    });
    const networks = all.slice(0, args.limit).map(summarize);
    const text =
      (networks.length === 0
        ? `No networks${filters ? ' match the filters' : ''}.`
        : table(
            ['NAME', 'ID', 'DRIVER', 'SUBNETS', 'FLAGS'],
            networks.map((n) => [
              n.name,
              shortId(n.id),
              n.driver,
              n.subnets.join(', '),
              [n.internal ? 'internal' : '', n.dns ? 'dns' : ''].filter(Boolean).join(','),
            ]),
          )) + truncationNote(networks.length, all.length, 'raise limit or add filters');
    return {
      text,
      data: { networks, count: networks.length, total: all.length, truncated: all.length > networks.length },
    };
  },
});

async function inspectNetwork(client: PodmanClient, name: string, signal: AbortSignal) {
  return client.json<PodmanNetwork>('GET', networkPath(name, '/json'), {
    signal,
    notFound: networkNotFound(name),
  });
}

/** Names of the containers (in any state) matching container filters, e.g. {network: [name]}. */
export async function containerNames(
  client: PodmanClient,
  filters: Record<string, string[]>,
  signal: AbortSignal,
): Promise<string[]> {
  const found = await client.json<{ Names?: string[]; Id: string }[]>('GET', '/libpod/containers/json', {
    query: { all: true, filters },
    signal,
  });
  return found.map((c) => c.Names?.[0] ?? shortId(c.Id));
}

/** The force flag of a removal that takes the containers using the object along. */
export const forceWithContainers = z
  .boolean()
  .default(false)
  .describe('Remove even if containers use it (those containers are removed too)');

const inspect = defineTool({
  name: 'podman_network_inspect',
  title: 'Inspect a network',
  description: 'Get the configuration of a network and the containers attached to it.',
  toolset: 'networks',
  input: z.object({ network: objectRef.describe('Network name or ID (required)') }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const info = await inspectNetwork(client, args.network, ctx.signal);
    const containers = await containerNames(client, { network: [info.name] }, ctx.signal);
    const n = summarize(info);
    const text = [
      `Network ${n.name} (${shortId(n.id)})`,
      `  driver:     ${n.driver}${n.interface ? ` (interface ${n.interface})` : ''}`,
      `  subnets:    ${n.subnets.join(', ') || '-'}${n.gateways.length ? ` via ${n.gateways.join(', ')}` : ''}`,
      `  internal:   ${n.internal}, dns: ${n.dns}`,
      `  containers: ${containers.length ? containers.join(', ') : 'none'}`,
    ].join('\n');
    return { text, data: { network: info, containers } };
  },
});

const rm = defineTool({
  name: 'podman_network_rm',
  title: 'Remove a network',
  description:
    'Remove one network. A network with containers attached needs force=true, which removes those containers too. ' +
    `The default network "${DEFAULT_NETWORK}" is never removed.`,
  toolset: 'networks',
  input: z.object({
    network: objectRef
      .refine((v) => v !== DEFAULT_NETWORK, {
        message: `"${DEFAULT_NETWORK}" is the default network and is never removed`,
        ...coded('FORBIDDEN'),
      })
      .describe('Network name or ID to remove (exactly one; no wildcards)'),
    force: forceWithContainers,
  }),
  annotations: DESTRUCTIVE,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const info = await inspectNetwork(client, args.network, ctx.signal);
    if (info.name === DEFAULT_NETWORK)
      throw new McpPodmanError(
        'FORBIDDEN',
        `"${args.network}" is the default network "${DEFAULT_NETWORK}", which is never removed. Remove only networks you created.`,
      );
    const containers = await containerNames(client, { network: [info.name] }, ctx.signal);
    if (containers.length && !args.force)
      throw new McpPodmanError(
        'CONFLICT',
        `Network "${info.name}" is used by ${containers.join(', ')}. Disconnect them with podman_network_disconnect or remove them with podman_rm, or pass force=true, which removes them.`,
        { details: { containers } },
      );
    const report = await client.json<{ Name: string; Err?: string | null }[]>(
      'DELETE',
      networkPath(info.name),
      {
        query: { force: args.force },
        signal: ctx.signal,
        notFound: networkNotFound(args.network),
        conflict: {
          message: `Network "${info.name}" is in use. Pass force=true to remove it with its containers.`,
        },
      },
    );
    const failure = report?.find((r) => r.Err);
    if (failure)
      throw new McpPodmanError(
        'PODMAN_ERROR',
        `Podman could not remove network "${info.name}": ${failure.Err}`,
      );
    const removedContainers = args.force ? containers : [];
    return {
      text: `Removed network ${info.name}.${removedContainers.length ? ` Removed its containers: ${removedContainers.join(', ')}.` : ''}`,
      data: { network: info.name, id: info.id, removedContainers },
    };
  },
});

const attachmentArgs = {
  network: objectRef.describe('Network name or ID (required)'),
  container: containerRef.describe('Container name or ID (required)'),
};

/** Connects or disconnects; Podman's "already connected" or "not connected" comes back as a CONFLICT. */
async function changeAttachment(
  ctx: ToolContext,
  options: {
    network: string;
    container: string;
    action: 'connect' | 'disconnect';
    body: Record<string, unknown>;
    refusalMessage: string;
  },
): Promise<void> {
  const client = await ctx.podman();
  await requireNetwork(client, options.network, ctx.signal);
  await client.call('POST', networkPath(options.network, `/${options.action}`), {
    body: options.body,
    signal: ctx.signal,
    notFound: containerNotFound(options.container),
    conflict: { message: options.refusalMessage },
  });
}

const connect = defineTool({
  name: 'podman_network_connect',
  title: 'Connect a container to a network',
  description:
    'Attach a container to a network, optionally with extra DNS names (aliases) it answers to on that network.',
  toolset: 'networks',
  input: z.object({
    ...attachmentArgs,
    aliases: z
      .array(objectName)
      .max(32)
      .default([])
      .describe('Extra names the container resolves as on this network'),
  }),
  annotations: MUTATING,
  async handler(args, ctx) {
    await changeAttachment(ctx, {
      ...args,
      action: 'connect',
      body: { container: args.container, aliases: args.aliases.length ? args.aliases : undefined },
      refusalMessage: `Container "${args.container}" is already connected to network "${args.network}". Disconnect it first to change its aliases.`,
    });
    return {
      text: `Connected ${args.container} to ${args.network}${args.aliases.length ? ` as ${args.aliases.join(', ')}` : ''}.`,
      data: { network: args.network, container: args.container, aliases: args.aliases },
    };
  },
});

const disconnect = defineTool({
  name: 'podman_network_disconnect',
  title: 'Disconnect a container from a network',
  description: 'Detach a container from a network.',
  toolset: 'networks',
  input: z.object({
    ...attachmentArgs,
    force: z
      .boolean()
      .default(false)
      .describe('Disconnect even if Podman would refuse (e.g. a stopping container)'),
  }),
  annotations: DESTRUCTIVE,
  async handler(args, ctx) {
    await changeAttachment(ctx, {
      ...args,
      action: 'disconnect',
      body: { Container: args.container, Force: args.force },
      refusalMessage: `Container "${args.container}" is not connected to network "${args.network}". podman_inspect shows its networks.`,
    });
    return {
      text: `Disconnected ${args.container} from ${args.network}.`,
      data: { network: args.network, container: args.container },
    };
  },
});

export const networkTools: ToolDef[] = [create, list, inspect, rm, connect, disconnect];
