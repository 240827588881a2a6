import { z } from 'zod';
import { isMcpPodmanError, McpPodmanError } from '../errors.js';
import type { PodmanClient } from '../podman/client.js';
import { MANAGED_LABELS } from '../podman/labels.js';
import { assertConfined, confinementOf, podContainers } from './confinement.js';
import { assertNetworkAllowed } from './host-network.js';
import { libpodObject } from './libpod-object.js';
import { collectLogs, logArgs } from './logs.js';
import { requireNetwork } from './networks.js';
import { shortId, table, truncationNote } from './render.js';
import { filtersOf, labelsRecord, objectName, objectRef, parsePort, portSpec } from './schemas.js';
import { DESTRUCTIVE, defineTool, MUTATING, READ_ONLY, type ToolContext, type ToolDef } from './types.js';

const podKind = libpodObject(
  'pods',
  'POD_NOT_FOUND',
  (name) => `No pod "${name}". Use podman_pod_list to list pods.`,
);
export const podNotFound = podKind.notFound;
const podPath = podKind.path;

const podArg = objectRef.describe('Pod name or ID (required)');

interface InspectedPod {
  Id: string;
  Name: string;
  Created: string;
  State: string;
  Labels?: Record<string, string> | null;
  InfraContainerID?: string;
  InfraConfig?: {
    PortBindings?: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks?: string[] | null;
  };
  SharedNamespaces?: string[] | null;
  NumContainers?: number;
  Containers?: { Id: string; Name: string; State: string }[] | null;
}

async function inspectPod(client: PodmanClient, pod: string, signal: AbortSignal): Promise<InspectedPod> {
  return client.json<InspectedPod>('GET', podPath(pod, '/json'), { signal, notFound: podNotFound(pod) });
}

/** The pod's own containers, by name: the infra container only holds the namespaces. */
function membersOf(pod: InspectedPod) {
  return (pod.Containers ?? [])
    .filter((c) => c.Id !== pod.InfraContainerID)
    .sort((a, b) => a.Name.localeCompare(b.Name));
}

const NAMESPACES = ['cgroup', 'ipc', 'net', 'pid', 'uts'] as const;
const NETNS_MODES = ['bridge', 'none', 'host'];

const create = defineTool({
  name: 'podman_pod_create',
  title: 'Create a pod',
  description:
    'Create a pod: containers run in it (podman_run with pod=NAME) share its network, so they reach each other on ' +
    'localhost, and its published ports. The pod starts with its first container or with podman_pod_start. ' +
    'It is labelled io.mcp-podman.managed=true.',
  toolset: 'pods',
  input: z
    .object({
      name: objectName.describe('Pod name (required)'),
      ports: z
        .array(portSpec)
        .max(128)
        .default([])
        .describe('Ports to publish (HOST:CONTAINER format, as podman_run; also IP:HOST:CONTAINER and /udp)'),
      labels: labelsRecord.default({}).describe('Labels to set (io.mcp-podman.managed=true is always added)'),
      network: objectName
        .optional()
        .describe(
          'Network mode or network name: bridge (default), none, a podman_network_create network, or host if the server allows host networking',
        ),
      share: z
        .array(z.enum(NAMESPACES))
        .max(NAMESPACES.length)
        .optional()
        .describe('Namespaces the containers share (default ipc, net, uts); [] shares none'),
      infra: z
        .boolean()
        .default(true)
        .describe('Create the infra container that holds the shared namespaces (default true)'),
    })
    .superRefine((args, issues) => {
      if (!args.infra && (args.ports.length || args.network || args.share?.length))
        issues.addIssue({
          code: 'custom',
          path: ['infra'],
          message: 'a pod without infra container cannot publish ports, join a network or share namespaces',
        });
      if (args.ports.length && (args.network === 'host' || args.network === 'none'))
        issues.addIssue({
          code: 'custom',
          path: ['ports'],
          message: `ports cannot be published with network "${args.network}"`,
        });
      if (args.ports.length && args.share && !args.share.includes('net'))
        issues.addIssue({ code: 'custom', path: ['share'], message: 'published ports need "net" in share' });
    }),
  annotations: MUTATING,
  async handler(args, ctx) {
    assertNetworkAllowed(args.network, ctx.config.allowHostNetwork, 'This pod');
    const client = await ctx.podman();
    const nameTaken = `A pod named "${args.name}" already exists. Choose another name, or remove it with podman_pod_rm.`;
    if (await podExists(client, args.name)) throw new McpPodmanError('CONFLICT', nameTaken);
    const network = args.network;
    if (network && !NETNS_MODES.includes(network)) await requireNetwork(client, network, ctx.signal);
    const spec = {
      name: args.name,
      labels: { ...args.labels, ...MANAGED_LABELS },
      no_infra: !args.infra,
      portmappings: args.ports.map((p) => parsePort(p)!),
      shared_namespaces: args.share && (args.share.length ? args.share : ['none']),
      ...(network === undefined
        ? {}
        : NETNS_MODES.includes(network)
          ? { netns: { nsmode: network } }
          : { netns: { nsmode: 'bridge' }, Networks: { [network]: {} } }),
    };
    let created: { Id: string };
    try {
      // Not bound to the caller's signal: a create must end in a known state, or be undone below.
      created = await client.json<{ Id: string }>('POST', '/libpod/pods/create', {
        body: spec,
        conflict: { message: nameTaken },
      });
    } catch (err) {
      // Podman reserves the name before it builds the infra container, so a failure there leaves a
      // pod behind; the name was free a moment ago, so that pod is this call's and goes again.
      if (!(isMcpPodmanError(err) && err.code === 'CONFLICT'))
        await client
          .call('DELETE', podPath(args.name), { query: { force: true, timeout: 0 } })
          .catch(() => undefined);
      throw err;
    }
    return {
      text: `Created pod ${args.name} (${shortId(created.Id)}). Add containers with podman_run pod="${args.name}".`,
      data: { id: created.Id, name: args.name, ports: args.ports, infra: args.infra },
    };
  },
});

async function podExists(client: PodmanClient, name: string): Promise<boolean> {
  try {
    await client.call('GET', podPath(name, '/exists'));
    return true;
  } catch (err) {
    if (isMcpPodmanError(err) && err.code === 'NOT_FOUND') return false;
    throw err;
  }
}

interface ListedPod {
  Id: string;
  Name: string;
  Status: string;
  Created: string;
  InfraId?: string;
  Networks?: string[] | null;
  Labels?: Record<string, string> | null;
  Containers?: { Id: string; Names: string; Status: string }[] | null;
}

const list = defineTool({
  name: 'podman_pod_list',
  title: 'List pods',
  description: 'List pods with their state and containers. Filters combine (all must match).',
  toolset: 'pods',
  input: z.object({
    filters: z
      .object({
        name: z
          .string()
          .max(253)
          .optional()
          .describe('Filter by pod name (regular expression, as Podman matches)'),
        label: z.string().max(4096).optional().describe('Filter by label: "key" or "key=value"'),
        status: z
          .enum(['created', 'running', 'stopped', 'exited', 'paused', 'dead', 'degraded'])
          .optional()
          .describe('Filter by pod status'),
      })
      .strict()
      .default({})
      .describe('Filter pods by criteria'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(50)
      .describe('Maximum number of pods (default 50, max 100)'),
  }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const filters = filtersOf({ ...args.filters });
    const all =
      (await client.json<ListedPod[] | null>('GET', '/libpod/pods/json', {
        query: { filters },
        signal: ctx.signal,
      })) ?? [];
    const pods = all.slice(0, args.limit).map((p) => {
      const members = (p.Containers ?? []).filter((c) => c.Id !== p.InfraId);
      return {
        id: p.Id,
        name: p.Name,
        status: p.Status,
        created: p.Created,
        infraId: p.InfraId || undefined,
        containers: members.map((c) => ({ id: c.Id, name: c.Names, status: c.Status })),
        networks: p.Networks ?? [],
        labels: p.Labels ?? {},
      };
    });
    const text =
      (pods.length === 0
        ? `No pods${filters ? ' match the filters' : ''}.`
        : table(
            ['ID', 'NAME', 'STATUS', 'CONTAINERS'],
            pods.map((p) => [shortId(p.id), p.name, p.status, p.containers.map((c) => c.name).join(', ')]),
          )) + truncationNote(pods.length, all.length, 'raise limit or add filters');
    return {
      text,
      data: { pods, count: pods.length, total: all.length, truncated: all.length > pods.length },
    };
  },
});

function portsOf(pod: InspectedPod): string[] {
  return Object.entries(pod.InfraConfig?.PortBindings ?? {}).flatMap(([port, binds]) =>
    (binds ?? []).map((b) => `${b.HostIp ? `${b.HostIp}:` : ''}${b.HostPort}->${port}`),
  );
}

const inspect = defineTool({
  name: 'podman_pod_inspect',
  title: 'Inspect a pod',
  description:
    'Get the details of a pod: state, shared namespaces, published ports, networks and its containers.',
  toolset: 'pods',
  input: z.object({ pod: podArg }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const pod = await inspectPod(client, args.pod, ctx.signal);
    const members = membersOf(pod);
    const ports = portsOf(pod);
    const text = [
      `Pod ${pod.Name} (${shortId(pod.Id)})`,
      `  state:      ${pod.State}`,
      `  created:    ${pod.Created}`,
      pod.InfraContainerID
        ? `  infra:      ${shortId(pod.InfraContainerID)} (shares ${(pod.SharedNamespaces ?? []).join(', ') || 'nothing'})`
        : '  infra:      none',
      ports.length ? `  ports:      ${ports.join(', ')}` : '',
      pod.InfraConfig?.Networks?.length ? `  networks:   ${pod.InfraConfig.Networks.join(', ')}` : '',
      `  containers: ${members.length ? members.map((c) => `${c.Name} (${c.State})`).join(', ') : 'none besides infra'}`,
    ]
      .filter(Boolean)
      .join('\n');
    return { text, data: { pod, ports } };
  },
});

/** Runs start, stop or restart on a pod; 304 means it already was in that state. */
async function podAction(
  ctx: ToolContext,
  options: {
    pod: string;
    action: 'start' | 'stop' | 'restart';
    past: string;
    query?: Record<string, number>;
  },
) {
  const client = await ctx.podman();
  if (options.action !== 'stop') {
    const members = await podContainers(client, options.pod);
    await assertConfined(client, members, confinementOf(ctx.config), `Pod ${options.pod} may not start`);
  }
  const status = await client.call('POST', podPath(options.pod, `/${options.action}`), {
    query: options.query,
    signal: ctx.signal,
    okStatuses: [304],
    notFound: podNotFound(options.pod),
    conflict: {
      message: `Not every container of pod "${options.pod}" could be ${options.past}; see details. Check them with podman_pod_inspect and podman_logs.`,
    },
  });
  const changed = status !== 304;
  return {
    text: `Pod ${options.pod} ${changed ? options.past : `was already ${options.past}`}.`,
    data: { pod: options.pod, changed },
  };
}

const start = defineTool({
  name: 'podman_pod_start',
  title: 'Start a pod',
  description: 'Start a pod: its infra container and all of its containers.',
  toolset: 'pods',
  input: z.object({ pod: podArg }),
  annotations: { ...MUTATING, idempotentHint: true },
  handler: (args, ctx) => podAction(ctx, { pod: args.pod, action: 'start', past: 'started' }),
});

const stopTimeout = z
  .number()
  .int()
  .min(0)
  .max(600)
  .default(10)
  .describe('Seconds to wait for each container to stop before killing it (default 10)');

const stop = defineTool({
  name: 'podman_pod_stop',
  title: 'Stop a pod',
  description: 'Stop all containers of a pod, killing each after `timeout` seconds.',
  toolset: 'pods',
  input: z.object({ pod: podArg, timeout: stopTimeout }),
  annotations: DESTRUCTIVE,
  handler: (args, ctx) =>
    podAction(ctx, { pod: args.pod, action: 'stop', past: 'stopped', query: { t: args.timeout } }),
});

const restart = defineTool({
  name: 'podman_pod_restart',
  title: 'Restart a pod',
  description: 'Restart all containers of a pod (each stops within its own stop timeout, then starts).',
  toolset: 'pods',
  input: z.object({ pod: podArg }),
  annotations: { ...DESTRUCTIVE, idempotentHint: false },
  handler: (args, ctx) => podAction(ctx, { pod: args.pod, action: 'restart', past: 'restarted' }),
});

const ACTIVE_STATES = new Set(['Running', 'Degraded', 'Paused']);

const rm = defineTool({
  name: 'podman_pod_rm',
  title: 'Remove a pod',
  description:
    'Remove a pod with all of its containers. A pod with running containers needs force=true (they are stopped first).',
  toolset: 'pods',
  input: z.object({
    pod: podArg.describe('Pod name or ID to remove (exactly one; no wildcards)'),
    force: z.boolean().default(false).describe('Stop running containers and remove the pod anyway'),
    timeout: stopTimeout.describe('With force: seconds to wait for each container to stop (default 10)'),
  }),
  annotations: DESTRUCTIVE,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const pod = await inspectPod(client, args.pod, ctx.signal);
    // Checked here rather than left to Podman, which would remove the stopped containers of a
    // running pod before refusing the running ones.
    if (!args.force && ACTIVE_STATES.has(pod.State))
      throw new McpPodmanError(
        'CONFLICT',
        `Pod "${args.pod}" is ${pod.State.toLowerCase()}. Stop it with podman_pod_stop, or pass force=true.`,
        { details: { state: pod.State } },
      );
    await client.call('DELETE', podPath(pod.Id), {
      query: { force: args.force, timeout: args.force ? args.timeout : undefined },
      signal: ctx.signal,
      notFound: podNotFound(args.pod),
      conflict: {
        message: `Pod "${args.pod}" has running containers. Stop it with podman_pod_stop, or pass force=true.`,
      },
    });
    const containers = membersOf(pod).map((c) => c.Name);
    return {
      text: `Removed pod ${pod.Name}${containers.length ? ` and its containers ${containers.join(', ')}` : ''}.`,
      data: { pod: pod.Name, id: pod.Id, removedContainers: containers },
    };
  },
});

const logs = defineTool({
  name: 'podman_pod_logs',
  title: 'Pod logs',
  description:
    "Get the logs of all of a pod's containers (not its infra container), each line prefixed with [container-name] and " +
    'grouped by container. The byte cap (maxBytes) is shared fairly, so one noisy container cannot crowd out the others. ' +
    'Takes the same arguments as podman_logs; with follow, maxLines counts per container.',
  toolset: 'pods',
  input: z.object({ pod: podArg, ...logArgs }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const pod = await inspectPod(client, args.pod, ctx.signal);
    const members = membersOf(pod);
    const budget = Math.max(
      1,
      Math.floor((args.maxBytes ?? ctx.config.limits.outputBytes) / Math.max(1, members.length)),
    );
    // Read in parallel, so a follow watches every container over the same time window.
    const parts = await Promise.all(
      members.map(async (c) => {
        try {
          const got = await collectLogs({
            client,
            container: c.Id,
            args: { ...args, maxBytes: budget },
            defaultMaxBytes: budget,
            defaultFollowMs: ctx.config.limits.followMs,
            signal: ctx.signal,
            tag: c.Name,
          });
          return { container: c.Name, ...got };
        } catch (err) {
          // A container removed since the inspect has no logs left to show; say so and go on.
          if (isMcpPodmanError(err) && err.code === 'CONTAINER_NOT_FOUND')
            return { container: c.Name, text: '', lines: 0, truncated: false, gone: true };
          throw err;
        }
      }),
    );
    const text = ctx.redactor.scrub(parts.map((p) => p.text).join(''));
    const truncated = parts.some((p) => p.truncated);
    const notes = [
      truncated ? 'output truncated to the newest bytes per container; narrow with tail, since or grep' : '',
      ...parts.filter((p) => 'gone' in p).map((p) => `${p.container} was removed meanwhile`),
      parts.some((p) => 'stoppedBy' in p && p.stoppedBy === 'time')
        ? 'follow ended after its time bound'
        : '',
      ...parts
        .filter((p) => 'stoppedBy' in p && p.stoppedBy === 'lines')
        .map((p) => `follow of ${p.container} ended after its line bound`),
    ].filter(Boolean);
    const empty = members.length
      ? '(no log lines)'
      : `(pod ${pod.Name} has no containers besides its infra container)`;
    return {
      text: (text || empty) + (notes.length ? `\n(${notes.join('; ')})` : ''),
      data: {
        pod: pod.Name,
        logs: text,
        lines: parts.reduce((n, p) => n + p.lines, 0),
        truncated,
        containers: parts.map((p) => ({
          name: p.container,
          lines: p.lines,
          truncated: p.truncated,
          ...('stoppedBy' in p ? { stoppedBy: p.stoppedBy } : {}),
        })),
      },
    };
  },
});

export const podTools: ToolDef[] = [create, list, inspect, start, stop, restart, rm, logs];
