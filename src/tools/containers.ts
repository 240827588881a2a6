import { z } from 'zod';
import { isMcpPodmanError, McpPodmanError } from '../errors.js';
import type { PodmanClient } from '../podman/client.js';
import { MANAGED_LABELS } from '../podman/labels.js';
import { BoundedText, demux } from '../podman/streams.js';
import { assertBindable } from './bind-roots.js';
import { assertConfined, type Confinement, confinementOf, restartWithBinds } from './confinement.js';
import { assertNetworkAllowed } from './host-network.js';
import { libpodObject } from './libpod-object.js';
import { humanDuration, shortId, table, truncationNote } from './render.js';
import { assertClientSecrets } from './reserved-secrets.js';
import {
  containerRef,
  envEntry,
  filtersOf,
  imageRef,
  labelsRecord,
  memorySize,
  objectName,
  objectRef,
  parseEnvEntries,
  parseMemory,
  parsePort,
  parseVolume,
  portSpec,
  volumeSpec,
} from './schemas.js';
import { DESTRUCTIVE, defineTool, MUTATING, READ_ONLY, type ToolDef } from './types.js';

const containerKind = libpodObject(
  'containers',
  'CONTAINER_NOT_FOUND',
  (name) => `No container "${name}". Use podman_ps with all=true to list containers.`,
);
export const containerNotFound = containerKind.notFound;
export const containerPath = containerKind.path;

export interface ListedContainer {
  Id: string;
  Names?: string[];
  Image: string;
  State: string;
  Status?: string;
  Created?: number | string;
  StartedAt?: number;
  ExitedAt?: number;
  ExitCode?: number;
  Ports?:
    | { host_ip?: string; host_port?: number; container_port: number; protocol?: string; range?: number }[]
    | null;
  Labels?: Record<string, string> | null;
  PodName?: string;
  Command?: string[] | null;
}

/**
 * The STATUS column. libpod 4.3 lists an empty Status, so it is worded from the state, the exit
 * code and the times as `podman ps` words it; a Podman that fills Status in is taken at its word.
 * Unset times come as Go's zero time (a large negative number).
 */
export function statusOf(c: ListedContainer, nowSeconds = Date.now() / 1000): string {
  if (c.Status) return c.Status;
  const since = (t: number | undefined) => (t && t > 0 ? humanDuration(nowSeconds - t) : undefined);
  const up = since(c.StartedAt);
  switch (c.State) {
    case 'running':
      return up ? `Up ${up}` : 'Up';
    case 'paused':
      return up ? `Up ${up} (paused)` : 'Paused';
    case 'exited':
    case 'stopped': {
      const ago = since(c.ExitedAt);
      return `Exited (${c.ExitCode ?? 0})${ago ? ` ${ago} ago` : ''}`;
    }
    default:
      return c.State ? c.State.charAt(0).toUpperCase() + c.State.slice(1) : '';
  }
}

function portsText(ports: ListedContainer['Ports']): string {
  return (ports ?? [])
    .map(
      (p) =>
        `${p.host_ip && p.host_ip !== '0.0.0.0' ? `${p.host_ip}:` : ''}${p.host_port}->${p.container_port}/${p.protocol ?? 'tcp'}`,
    )
    .join(', ');
}

const ps = defineTool({
  name: 'podman_ps',
  title: 'List containers',
  description:
    'List containers, running ones by default. Filter by status, name or label; at most `limit` are returned.',
  toolset: 'containers',
  input: z.object({
    all: z.boolean().default(false).describe('Show all containers including stopped (default false)'),
    filters: z
      .object({
        status: z
          .enum([
            'created',
            'running',
            'paused',
            'stopped',
            'exited',
            'unknown',
            'restarting',
            'removing',
            'configured',
          ])
          .optional()
          .describe('Filter by status (running, exited, ...)'),
        name: z
          .string()
          .max(253)
          .optional()
          .describe('Filter by container name (substring or regex, as Podman matches)'),
        label: z.string().max(4096).optional().describe('Filter by label: "key" or "key=value"'),
      })
      .strict()
      .default({})
      .describe('Filter containers by criteria'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(50)
      .describe('Maximum number of containers (default 50, max 100)'),
  }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const filters = filtersOf({
      status: args.filters.status,
      name: args.filters.name,
      label: args.filters.label,
    });
    // Ask for everything that matches and cut here, so we can say how many there were.
    const list = await client.json<ListedContainer[]>('GET', '/libpod/containers/json', {
      query: { all: args.all || Boolean(args.filters.status), filters },
      signal: ctx.signal,
    });
    const shown = list.slice(0, args.limit);
    const containers = shown.map((c) => ({
      id: c.Id,
      name: c.Names?.[0] ?? '',
      image: c.Image,
      state: c.State,
      status: statusOf(c),
      created: c.Created,
      ports: portsText(c.Ports),
      pod: c.PodName || undefined,
      labels: c.Labels ?? {},
    }));
    const text =
      (containers.length === 0
        ? `No ${args.all ? '' : 'running '}containers${filters ? ' match the filters' : ''}.`
        : table(
            ['ID', 'NAME', 'IMAGE', 'STATE', 'STATUS', 'PORTS'],
            containers.map((c) => [shortId(c.id), c.name, c.image, c.state, c.status, c.ports]),
          )) + truncationNote(shown.length, list.length, 'raise limit or add filters');
    return {
      text,
      data: {
        containers,
        count: containers.length,
        total: list.length,
        truncated: list.length > shown.length,
      },
    };
  },
});

const runInput = z.object({
  image: imageRef.describe('Container image to run (required)'),
  name: objectName.optional().describe('Container name (optional)'),
  command: z
    .array(z.string().max(32 * 1024))
    .max(256)
    .optional()
    .describe('Command to execute (optional)'),
  env: z.array(envEntry).max(512).default([]).describe('Environment variables (KEY=VALUE format)'),
  ports: z
    .array(portSpec)
    .max(128)
    .default([])
    .describe('Port mappings (HOST:CONTAINER format; also IP:HOST:CONTAINER and /udp)'),
  volumes: z
    .array(volumeSpec)
    .max(128)
    .default([])
    .describe('Volume mounts (HOST:CONTAINER format; a named volume in place of HOST; optional :ro)'),
  detach: z
    .boolean()
    .default(true)
    .describe('Run in background (default true); false waits for the exit and returns its output'),
  restart: z
    .enum(['no', 'always', 'on-failure', 'unless-stopped'])
    .default('no')
    .describe('Restart policy (no, always, on-failure, unless-stopped)'),
  labels: labelsRecord.default({}).describe('Labels to set (io.mcp-podman.managed=true is always added)'),
  workdir: z.string().startsWith('/').max(4096).optional().describe('Working directory inside the container'),
  user: z
    .string()
    .regex(/^[\w.-]+(?::[\w.-]+)?$/, 'must be user[:group]')
    .optional()
    .describe('User (and group) to run as'),
  entrypoint: z
    .array(z.string().max(32 * 1024))
    .max(64)
    .optional()
    .describe('Override the image entrypoint'),
  network: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be bridge, none, host or a network name')
    .optional()
    .describe(
      'Network mode or network name: bridge, none, a network created with podman_network_create, or host if the server allows host networking',
    ),
  pod: objectRef.optional().describe('Pod to join'),
  memory: memorySize.optional().describe('Memory limit, e.g. 512m'),
  cpus: z.number().min(0.01).max(1024).optional().describe('CPU limit in cores, e.g. 0.5'),
  remove: z.boolean().default(false).describe('Remove the container when it exits'),
  secrets: z
    .array(
      z
        .object({
          source: objectRef.describe('Name of the Podman secret'),
          type: z
            .enum(['mount', 'env'])
            .default('mount')
            .describe('Mount as a file (/run/secrets/<target>) or expose as env'),
          target: z
            .string()
            .regex(/^[\w.-]+$/)
            .optional()
            .describe('File name under /run/secrets, or the env variable name'),
        })
        .strict(),
    )
    .max(64)
    .default([])
    .describe('Podman secrets to give the container'),
});

type RunArgs = z.infer<typeof runInput>;

/** Translates run arguments into libpod's SpecGenerator. Exported for the compose and gateway code. */
export function specFor(args: RunArgs, extraLabels: Record<string, string> = {}): Record<string, unknown> {
  const mounts: unknown[] = [];
  const volumes: unknown[] = [];
  for (const spec of args.volumes) {
    const v = parseVolume(spec)!;
    if (v.kind === 'bind')
      mounts.push({ type: 'bind', source: v.source, destination: v.destination, options: v.options });
    else volumes.push({ Name: v.name, Dest: v.destination, Options: v.options });
  }
  const resourceLimits: Record<string, unknown> = {};
  if (args.memory) resourceLimits.memory = { limit: parseMemory(args.memory) };
  if (args.cpus) resourceLimits.cpu = { quota: Math.round(args.cpus * 100_000), period: 100_000 };
  const spec: Record<string, unknown> = {
    image: args.image,
    name: args.name,
    command: args.command,
    entrypoint: args.entrypoint,
    env: parseEnvEntries(args.env),
    labels: { ...args.labels, ...extraLabels, ...MANAGED_LABELS },
    portmappings: args.ports.map((p) => parsePort(p)!),
    mounts,
    volumes,
    work_dir: args.workdir,
    user: args.user,
    remove: args.remove,
    restart_policy: args.restart === 'no' ? undefined : args.restart,
    pod: args.pod,
    resource_limits: Object.keys(resourceLimits).length ? resourceLimits : undefined,
    secrets: args.secrets
      .filter((s) => s.type === 'mount')
      .map((s) => ({ source: s.source, target: s.target })),
    secret_env: Object.fromEntries(
      args.secrets.filter((s) => s.type === 'env').map((s) => [s.target ?? s.source, s.source]),
    ),
  };
  if (args.network) {
    if (['bridge', 'none', 'host', 'private'].includes(args.network)) spec.netns = { nsmode: args.network };
    else {
      spec.netns = { nsmode: 'bridge' };
      spec.Networks = { [args.network]: {} };
    }
  }
  return spec;
}

/**
 * Creates and starts a container. If anything after the create fails, the container is removed,
 * so a failed call leaves nothing behind.
 */
export async function createAndStart(
  client: PodmanClient,
  spec: Record<string, unknown>,
  options: { confinement: Confinement; signal?: AbortSignal },
): Promise<{ id: string; warnings: string[] }> {
  const { signal } = options;
  if (signal?.aborted)
    throw new McpPodmanError('CANCELLED', 'The request was cancelled; nothing was created.');
  // Not bound to the caller's signal either: a create cut off mid-way may still have made the
  // container, and without its id nothing could remove it. A cancel is honoured right after.
  const created = await client.json<{ Id: string; Warnings?: string[] }>(
    'POST',
    '/libpod/containers/create',
    {
      body: spec,
      notFound: {
        code: 'IMAGE_NOT_FOUND',
        message: `Image "${String(spec.image)}" is not present locally. Pull it first with podman_pull, or check the name with podman_images.`,
      },
      conflict: {
        message: `The name "${String(spec.name)}" is already in use. Choose another name, or remove the old container with podman_rm.`,
      },
    },
  );
  try {
    if (signal?.aborted)
      throw new McpPodmanError('CANCELLED', 'The request was cancelled; the container was removed again.');
    await assertConfined(client, [created.Id], options.confinement, 'This container may not run here');
    // Not bound to the caller's signal: once created, the start must finish or be undone by us.
    await client.call('POST', containerPath(created.Id, '/start'), { okStatuses: [304] });
  } catch (err) {
    await client
      .call('DELETE', containerPath(created.Id), { query: { force: true, volumes: true } })
      .catch(() => undefined);
    if (isMcpPodmanError(err) && (err.code === 'CANCELLED' || err.code === 'FORBIDDEN')) throw err;
    const reason = isMcpPodmanError(err) ? String(err.details.podman ?? err.message) : String(err);
    throw new McpPodmanError(
      'PODMAN_ERROR',
      `The container was created but failed to start, so it was removed again: ${reason}. Check the command, ports and volumes.`,
      { cause: err, details: { removed: created.Id } },
    );
  }
  return { id: created.Id, warnings: created.Warnings ?? [] };
}

/** The volume list with every bind checked against the bind roots and pointing at its real path. */
async function bindableVolumes(volumes: string[], roots: string[]): Promise<string[]> {
  const parsed = volumes.map((v) => parseVolume(v)!);
  const binds = parsed.flatMap((v) => (v.kind === 'bind' ? [v] : []));
  const reals = await assertBindable(
    binds.map((b) => b.source),
    roots,
    'This container',
  );
  return parsed.map((v, i) => {
    if (v.kind !== 'bind') return volumes[i]!;
    const real = reals[binds.indexOf(v)]!;
    if (real.includes(':'))
      throw new McpPodmanError(
        'INVALID_PARAMS',
        `Host path ${v.source} leads to ${real}, whose ":" cannot be mounted.`,
      );
    return [real, v.destination, ...(v.options.length ? [v.options.join(',')] : [])].join(':');
  });
}

const run = defineTool({
  name: 'podman_run',
  title: 'Run a container',
  description:
    'Create and start a container from a local image (pull it first with podman_pull). With detach=false it waits for ' +
    'the exit and returns the exit code and bounded output. Containers are labelled io.mcp-podman.managed=true.',
  toolset: 'containers',
  input: runInput,
  annotations: { ...MUTATING, openWorldHint: false },
  async handler(args, ctx) {
    assertNetworkAllowed(args.network, ctx.config.allowHostNetwork, 'This container');
    const volumes = await bindableVolumes(args.volumes, ctx.config.bindRoots);
    if (args.restart !== 'no' && args.volumes.some((v) => parseVolume(v)?.kind === 'bind'))
      throw restartWithBinds('This container', `restart "${args.restart}"`);
    const client = await ctx.podman();
    await assertClientSecrets(
      client,
      args.secrets.map((s) => s.source),
      ctx.signal,
    );
    for (const s of args.secrets) if (s.type === 'env' && !s.target) s.target = s.source;
    // With detach=false we read the logs after the exit, so Podman must not remove it first.
    const spec = specFor({ ...args, volumes, remove: args.detach ? args.remove : false });
    const { id, warnings } = await createAndStart(client, spec, {
      signal: ctx.signal,
      confinement: confinementOf(ctx.config),
    });
    const name = args.name ?? id.slice(0, 12);
    if (args.detach) {
      return {
        text: `Started container ${name} (${shortId(id)}) from ${args.image}.${warnings.length ? ` Warnings: ${warnings.join('; ')}` : ''}`,
        data: { id, name, image: args.image, detached: true, warnings },
      };
    }
    try {
      const exitCode = await waitForExit(client, id, ctx.signal, ctx.config.limits.runWaitMs);
      const output = await readOutput(client, id, ctx.config.limits.outputBytes);
      return {
        text: `Container ${name} exited with code ${exitCode}.\n${output.text}${output.truncated ? '\n(output truncated to the newest bytes)' : ''}`,
        data: { id, name, image: args.image, exitCode, output: output.text, truncated: output.truncated },
      };
    } finally {
      if (args.remove)
        await client
          .call('DELETE', containerPath(id), { query: { force: true, volumes: true } })
          .catch(() => undefined);
    }
  },
});

async function waitForExit(
  client: PodmanClient,
  id: string,
  signal: AbortSignal,
  maxMs: number,
): Promise<number> {
  const bound = AbortSignal.any([signal, AbortSignal.timeout(maxMs)]);
  try {
    const code = await client.json<number>('POST', containerPath(id, '/wait'), {
      query: { condition: 'stopped' },
      signal: bound,
    });
    return Number(code);
  } catch (err) {
    if (signal.aborted) throw err;
    if (bound.aborted) {
      throw new McpPodmanError(
        'TIMEOUT',
        `The container did not exit within ${maxMs} ms; it is still running. Use podman_logs to watch it, podman_stop to end it.`,
        { details: { id } },
      );
    }
    throw err;
  }
}

async function readOutput(
  client: PodmanClient,
  id: string,
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  const out = new BoundedText(maxBytes, 'tail');
  const res = await client.request('GET', containerPath(id, '/logs'), {
    query: { stdout: true, stderr: true },
  });
  for await (const frame of demux(res.body)) out.push(frame.data.toString('utf8'));
  return { text: out.toString(), truncated: out.truncated };
}

const containerList = z
  .array(containerRef)
  .min(1, 'name at least one container')
  .max(100)
  .describe('Container names or IDs (required)');

/** Runs one action on each named container and reports each outcome; one failure does not hide the others. */
async function eachContainer(
  names: string[],
  action: (name: string) => Promise<number>,
  verb: string,
): Promise<{ text: string; data: Record<string, unknown> }> {
  const results = await Promise.all(
    names.map(async (name) => {
      try {
        const status = await action(name);
        return { container: name, ok: true, changed: status !== 304 };
      } catch (err) {
        if (!isMcpPodmanError(err)) throw err;
        return { container: name, ok: false, error: err.toJSON() };
      }
    }),
  );
  const failed = results.filter((r) => !r.ok);
  if (failed.length === names.length && failed.length > 0) {
    const first = failed[0]!.error!;
    throw new McpPodmanError(
      first.code,
      names.length === 1
        ? first.message
        : `No container could be ${verb}: ${failed.map((f) => `${f.container}: ${f.error!.message}`).join(' ')}`,
      {
        details: { results },
      },
    );
  }
  const lines = results.map((r) =>
    r.ok
      ? `${r.container}: ${r.changed ? verb : `already ${verb}`}`
      : `${r.container}: failed (${r.error!.code}) ${r.error!.message}`,
  );
  return { text: lines.join('\n'), data: { results } };
}

const stop = defineTool({
  name: 'podman_stop',
  title: 'Stop containers',
  description: 'Stop one or more containers, killing each after `timeout` seconds.',
  toolset: 'containers',
  input: z.object({
    containers: containerList,
    timeout: z.number().int().min(0).max(600).default(10).describe('Timeout in seconds (default 10)'),
  }),
  annotations: DESTRUCTIVE,
  async handler(args, ctx) {
    const client = await ctx.podman();
    return eachContainer(
      args.containers,
      (name) =>
        client.call('POST', containerPath(name, '/stop'), {
          query: { timeout: args.timeout },
          okStatuses: [304],
          notFound: containerNotFound(name),
        }),
      'stopped',
    );
  },
});

const start = defineTool({
  name: 'podman_start',
  title: 'Start containers',
  description: 'Start one or more stopped containers.',
  toolset: 'containers',
  input: z.object({ containers: containerList }),
  annotations: { ...MUTATING, idempotentHint: true },
  async handler(args, ctx) {
    const client = await ctx.podman();
    return eachContainer(
      args.containers,
      async (name) => {
        await assertConfined(client, [name], confinementOf(ctx.config), `${name} may not start`);
        return client.call('POST', containerPath(name, '/start'), {
          okStatuses: [304],
          notFound: containerNotFound(name),
        });
      },
      'started',
    );
  },
});

const restart = defineTool({
  name: 'podman_restart',
  title: 'Restart containers',
  description: 'Restart one or more containers (stop with a timeout, then start).',
  toolset: 'containers',
  input: z.object({
    containers: containerList,
    timeout: z
      .number()
      .int()
      .min(0)
      .max(600)
      .default(10)
      .describe('Seconds to wait for a stop before killing (default 10)'),
  }),
  annotations: { ...DESTRUCTIVE, idempotentHint: false },
  async handler(args, ctx) {
    const client = await ctx.podman();
    return eachContainer(
      args.containers,
      async (name) => {
        await assertConfined(client, [name], confinementOf(ctx.config), `${name} may not start again`);
        return client.call('POST', containerPath(name, '/restart'), {
          query: { t: args.timeout },
          notFound: containerNotFound(name),
        });
      },
      'restarted',
    );
  },
});

const rm = defineTool({
  name: 'podman_rm',
  title: 'Remove containers',
  description:
    'Remove one or more containers. A running container needs force=true. Anonymous volumes go with volumes=true.',
  toolset: 'containers',
  input: z.object({
    containers: containerList,
    force: z.boolean().default(false).describe('Stop and remove running containers'),
    volumes: z.boolean().default(false).describe("Also remove the containers' anonymous volumes"),
    timeout: z
      .number()
      .int()
      .min(0)
      .max(600)
      .default(10)
      .describe('With force: seconds to wait for a stop before killing (default 10)'),
  }),
  annotations: DESTRUCTIVE,
  async handler(args, ctx) {
    const client = await ctx.podman();
    return eachContainer(
      args.containers,
      (name) =>
        client.call('DELETE', containerPath(name), {
          query: { force: args.force, volumes: args.volumes, timeout: args.timeout },
          notFound: containerNotFound(name),
          conflict: {
            message: `Container "${name}" is running. Stop it with podman_stop, or pass force=true.`,
          },
        }),
      'removed',
    );
  },
});

export const containerLifecycleTools: ToolDef[] = [ps, run, start, stop, restart, rm];
