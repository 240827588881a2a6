import { z } from 'zod';
import { McpPodmanError } from '../errors.js';
import { BoundedText, demux } from '../podman/streams.js';
import { containerNotFound, containerPath } from './containers.js';
import { collectLogs, logArgs } from './logs.js';
import { bytes, table } from './render.js';
import { containerRef, envEntry } from './schemas.js';
import { defineTool, MUTATING, READ_ONLY, type ToolDef } from './types.js';

const logs = defineTool({
  name: 'podman_logs',
  title: 'Container logs',
  description:
    'Get the logs of a container: the last `tail` lines, optionally filtered by `grep` and a time window. Output is capped ' +
    'in bytes (newest kept). follow=true collects new lines for a bounded time or line count, then returns.',
  toolset: 'containers',
  input: z.object({ container: containerRef.describe('Container name or ID (required)'), ...logArgs }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const result = await collectLogs({
      client,
      container: args.container,
      args,
      defaultMaxBytes: ctx.config.limits.outputBytes,
      defaultFollowMs: ctx.config.limits.followMs,
      signal: ctx.signal,
    });
    const text = ctx.redactor.scrub(result.text);
    const notes = [
      result.truncated ? 'output truncated to the newest bytes; narrow with tail, since or grep' : '',
      result.stoppedBy === 'time' ? 'follow ended after its time bound' : '',
      result.stoppedBy === 'lines' ? 'follow ended after its line bound' : '',
    ].filter(Boolean);
    return {
      text: (text || '(no log lines)') + (notes.length ? `\n(${notes.join('; ')})` : ''),
      data: {
        container: args.container,
        logs: text,
        lines: result.lines,
        truncated: result.truncated,
        stoppedBy: result.stoppedBy,
      },
    };
  },
});

interface InspectedContainer {
  Id: string;
  Name: string;
  Created: string;
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    StartedAt: string;
    FinishedAt: string;
    Error?: string;
    Health?: unknown;
  };
  Image: string;
  ImageName: string;
  Config: {
    Env?: string[];
    Labels?: Record<string, string>;
    Cmd?: string[];
    Entrypoint?: string | string[];
    User?: string;
    WorkingDir?: string;
    Secrets?: { Name: string }[] | null;
    [k: string]: unknown;
  };
  HostConfig?: {
    RestartPolicy?: { Name: string };
    PortBindings?: unknown;
    Memory?: number;
    NanoCpus?: number;
    [k: string]: unknown;
  };
  Mounts?: { Type: string; Source: string; Destination: string; RW: boolean; Name?: string }[];
  NetworkSettings?: { Ports?: unknown; Networks?: Record<string, { IPAddress?: string }> };
  Pod?: string;
  [k: string]: unknown;
}

const inspect = defineTool({
  name: 'podman_inspect',
  title: 'Inspect a container',
  description:
    'Get detailed information on a container: state, config, mounts, ports and networks. Environment values whose names ' +
    'look secret, or that came from a Podman secret, are masked; `redacted` lists them.',
  toolset: 'containers',
  input: z.object({ container: containerRef.describe('Container name or ID (required)') }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const info = await client.json<InspectedContainer>('GET', containerPath(args.container, '/json'), {
      signal: ctx.signal,
      notFound: containerNotFound(args.container),
    });
    const secretEnv = await secretEnvKeys(info);
    const { env, masked } = ctx.redactor.maskEnvList(info.Config?.Env, secretEnv);
    const redacted = masked.map((k) => `Config.Env.${k}`);
    const container = ctx.redactor.scrubDeep(
      ctx.redactor.maskValuesIn({ ...info, Config: { ...info.Config, Env: env } }, info.Config?.Env, masked),
    );
    const ports = Object.entries(
      (info.NetworkSettings?.Ports ?? {}) as Record<string, { HostIp: string; HostPort: string }[] | null>,
    )
      .flatMap(([p, binds]) => (binds ?? []).map((b) => `${b.HostIp || '0.0.0.0'}:${b.HostPort}->${p}`))
      .join(', ');
    const text = [
      `Container ${info.Name} (${info.Id.slice(0, 12)})`,
      `  image:   ${info.ImageName}`,
      `  state:   ${info.State.Status}${info.State.Running ? '' : ` (exit code ${info.State.ExitCode})`}${info.State.Error ? `, error: ${info.State.Error}` : ''}`,
      `  created: ${info.Created}`,
      `  command: ${JSON.stringify([...toArray(info.Config.Entrypoint), ...(info.Config.Cmd ?? [])])}`,
      ports ? `  ports:   ${ports}` : '',
      info.Mounts?.length
        ? `  mounts:  ${info.Mounts.map((m) => `${m.Name || m.Source}:${m.Destination}${m.RW ? '' : ':ro'}`).join(', ')}`
        : '',
      `  env:     ${env.length} variables${redacted.length ? ` (${redacted.length} masked: ${masked.join(', ')})` : ''}`,
      info.Pod ? `  pod:     ${info.Pod}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    return { text, data: { container, redacted } };
  },
});

function toArray(v: string | string[] | undefined): string[] {
  if (v === undefined || v === '') return [];
  return Array.isArray(v) ? v : [v];
}

/**
 * Env keys that carry a Podman secret. Inspect lists the secrets but not how each was exposed, so
 * any env key named like a secret's name or target is treated as secret.
 */
async function secretEnvKeys(info: InspectedContainer): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const s of info.Config?.Secrets ?? []) keys.add(s.Name);
  const secretEnv = (info.Config as { SecretEnv?: Record<string, string> }).SecretEnv;
  for (const k of Object.keys(secretEnv ?? {})) keys.add(k);
  return keys;
}

const exec = defineTool({
  name: 'podman_exec',
  title: 'Run a command in a container',
  description:
    'Run a command inside a running container and return its exit code, stdout and stderr (each capped in bytes). ' +
    'The command is an argument list: nothing is passed through a shell unless you run one yourself.',
  toolset: 'containers',
  input: z.object({
    container: containerRef.describe('Container name or ID (required)'),
    command: z
      .array(z.string().max(32 * 1024))
      .min(1, 'give the command as a non-empty list')
      .max(256)
      .describe('Command and its arguments, e.g. ["ls", "-l", "/"]'),
    env: z.array(envEntry).max(256).default([]).describe('Extra environment variables (KEY=VALUE)'),
    workdir: z.string().startsWith('/').max(4096).optional().describe('Working directory for the command'),
    user: z
      .string()
      .regex(/^[\w.-]+(?::[\w.-]+)?$/, 'must be user[:group]')
      .optional()
      .describe('User (and group) to run as'),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .optional()
      .describe('Give up waiting after this many ms (default from config: 60 s)'),
  }),
  annotations: { ...MUTATING, destructiveHint: true },
  async handler(args, ctx) {
    const client = await ctx.podman();
    const created = await client.json<{ Id: string }>('POST', containerPath(args.container, '/exec'), {
      body: {
        Cmd: args.command,
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: false,
        Tty: false,
        Env: args.env,
        WorkingDir: args.workdir,
        User: args.user,
      },
      signal: ctx.signal,
      notFound: containerNotFound(args.container),
      conflict: {
        message: `Container "${args.container}" is not running. Start it with podman_start first.`,
      },
    });
    const timeoutMs = args.timeoutMs ?? ctx.config.limits.execTimeoutMs;
    const bound = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
    const max = ctx.config.limits.outputBytes;
    const stdout = new BoundedText(max, 'tail');
    const stderr = new BoundedText(max, 'tail');
    let timedOut = false;
    try {
      const res = await client.request('POST', `/libpod/exec/${created.Id}/start`, {
        body: { Detach: false, Tty: false },
        signal: bound,
        conflict: {
          message: `Container "${args.container}" is not running. Start it with podman_start first.`,
        },
      });
      for await (const frame of demux(res.body))
        (frame.stream === 'stderr' ? stderr : stdout).push(frame.data.toString('utf8'));
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      if (!bound.aborted) throw err;
      timedOut = true;
    }
    const state = await client.json<{ ExitCode: number; Running: boolean }>(
      'GET',
      `/libpod/exec/${created.Id}/json`,
    );
    const out = ctx.redactor.scrub(stdout.toString());
    const err = ctx.redactor.scrub(stderr.toString());
    if (timedOut) {
      throw new McpPodmanError(
        'TIMEOUT',
        `The command did not finish within ${timeoutMs} ms and may still be running in the container. Raise timeoutMs, or check with podman_top.`,
        { details: { stdout: out, stderr: err } },
      );
    }
    const truncated = stdout.truncated || stderr.truncated;
    return {
      text: `exit code ${state.ExitCode}\n${out ? `--- stdout\n${out}` : ''}${err ? `${out ? '\n' : ''}--- stderr\n${err}` : ''}${truncated ? '\n(output truncated to the newest bytes)' : ''}`,
      data: { exitCode: state.ExitCode, stdout: out, stderr: err, truncated },
    };
  },
});

interface StatsEntry {
  ContainerID: string;
  Name: string;
  CPU: number;
  MemUsage: number;
  MemLimit: number;
  MemPerc: number;
  NetInput: number;
  NetOutput: number;
  BlockInput: number;
  BlockOutput: number;
  PIDs: number;
}

const stats = defineTool({
  name: 'podman_stats',
  title: 'Container resource usage',
  description: 'One snapshot of CPU, memory, network, block I/O and process counts for running containers.',
  toolset: 'containers',
  input: z.object({
    containers: z
      .array(containerRef)
      .max(100)
      .default([])
      .describe('Containers to report (default: all running)'),
  }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    if (args.containers.length) {
      // The stats endpoint fails the whole call for one unknown name; check names first for a clear error.
      for (const name of args.containers) {
        await client.call('GET', containerPath(name, '/exists'), {
          notFound: containerNotFound(name),
          signal: ctx.signal,
        });
      }
    }
    const res = await client.json<{ Error?: unknown; Stats?: StatsEntry[] } | StatsEntry[]>(
      'GET',
      '/libpod/containers/stats',
      {
        query: { stream: false, containers: args.containers.length ? args.containers : undefined },
        signal: ctx.signal,
        conflict: {
          message: 'A container is not running; stats need running containers. Start it with podman_start.',
        },
      },
    );
    const entries = (Array.isArray(res) ? res : (res?.Stats ?? [])).map((s) => ({
      id: s.ContainerID,
      name: s.Name,
      cpuPercent: Number(s.CPU?.toFixed?.(2) ?? s.CPU),
      memUsageBytes: s.MemUsage,
      memLimitBytes: s.MemLimit,
      memPercent: Number(s.MemPerc?.toFixed?.(2) ?? s.MemPerc),
      netInputBytes: s.NetInput,
      netOutputBytes: s.NetOutput,
      blockInputBytes: s.BlockInput,
      blockOutputBytes: s.BlockOutput,
      pids: s.PIDs,
    }));
    const text = entries.length
      ? table(
          ['NAME', 'CPU %', 'MEM', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'],
          entries.map((e) => [
            e.name,
            e.cpuPercent,
            `${bytes(e.memUsageBytes)} / ${bytes(e.memLimitBytes)}`,
            e.memPercent,
            `${bytes(e.netInputBytes)} / ${bytes(e.netOutputBytes)}`,
            `${bytes(e.blockInputBytes)} / ${bytes(e.blockOutputBytes)}`,
            e.pids,
          ]),
        )
      : 'No running containers to report.';
    return { text, data: { stats: entries } };
  },
});

const top = defineTool({
  name: 'podman_top',
  title: 'Processes in a container',
  description: 'List the processes running in a container.',
  toolset: 'containers',
  input: z.object({
    container: containerRef.describe('Container name or ID (required)'),
    psArgs: z
      .array(
        z.enum([
          'user',
          'pid',
          'ppid',
          'pcpu',
          'etime',
          'tty',
          'time',
          'args',
          'comm',
          'group',
          'nice',
          'vsz',
          'rss',
          'stime',
          'state',
        ]),
      )
      .max(15)
      .optional()
      .describe('Columns to show (ps descriptors), default user, pid, ppid, pcpu, etime, tty, time, args'),
  }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const res = await client.json<{ Titles: string[]; Processes: string[][] }>(
      'GET',
      containerPath(args.container, '/top'),
      {
        query: { ps_args: args.psArgs?.join(','), stream: false },
        signal: ctx.signal,
        notFound: containerNotFound(args.container),
        conflict: {
          message: `Container "${args.container}" is not running. Start it with podman_start first.`,
        },
      },
    );
    const processes = (res.Processes ?? [])
      .slice(0, 500)
      .map((p) => Object.fromEntries(res.Titles.map((t, i) => [t, p[i] ?? ''])));
    return {
      text:
        table(res.Titles, (res.Processes ?? []).slice(0, 500)) +
        ((res.Processes?.length ?? 0) > 500 ? '\n(showing 500 processes)' : ''),
      data: { titles: res.Titles, processes, count: res.Processes?.length ?? 0 },
    };
  },
});

export const containerIoTools: ToolDef[] = [logs, inspect, exec, stats, top];
