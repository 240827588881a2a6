import type { PodmanClient } from '../../podman/client.js';
import { demux } from '../../podman/streams.js';

export interface LogLine {
  replica: string;
  line: string;
}

export interface LogTarget {
  replica: string;
  id: string;
  /** The container's stdout carries MCP's JSON-RPC frames (a stdio server): only stderr is its log. */
  stdoutIsProtocol?: boolean;
}

/** Caps on what one non-follow logs request returns. */
const MAX_LINES = 10_000;
const MAX_LINE_CHARS = 16 * 1024;

/**
 * Reads one container's log stream line by line (stdout and stderr, or stderr alone for a stdio MCP
 * server) until it ends or `signal` aborts.
 */
async function streamLines(options: {
  podman: PodmanClient;
  target: LogTarget;
  query: { tail: number; since?: string; follow: boolean };
  signal: AbortSignal;
  onLine: (line: LogLine) => void;
}): Promise<void> {
  const { target } = options;
  const res = await options.podman.request('GET', `/libpod/containers/${target.id}/logs`, {
    query: {
      stdout: !target.stdoutIsProtocol,
      stderr: true,
      follow: options.query.follow,
      tail: String(options.query.tail),
      since: options.query.since,
    },
    signal: options.signal,
  });
  const pending = { stdout: '', stderr: '' };
  try {
    for await (const frame of demux(res.body)) {
      const parts = (pending[frame.stream] + frame.data.toString('utf8')).split('\n');
      let rest = parts.pop() ?? '';
      // Output that never ends its line is passed on in pieces instead of growing without bound.
      while (rest.length > MAX_LINE_CHARS) {
        parts.push(rest.slice(0, MAX_LINE_CHARS));
        rest = rest.slice(MAX_LINE_CHARS);
      }
      pending[frame.stream] = rest;
      for (const line of parts)
        options.onLine({ replica: target.replica, line: line.slice(0, MAX_LINE_CHARS) });
    }
  } catch (err) {
    if (!options.signal.aborted) throw err;
  }
  for (const rest of Object.values(pending))
    if (rest) options.onLine({ replica: target.replica, line: rest.slice(0, MAX_LINE_CHARS) });
}

/** The last `tail` lines of every replica, replica by replica, capped at MAX_LINES in all. */
export async function collectLogs(options: {
  podman: PodmanClient;
  targets: LogTarget[];
  tail: number;
  since?: string;
  signal: AbortSignal;
}): Promise<{ lines: LogLine[]; truncated: boolean }> {
  const lines: LogLine[] = [];
  let truncated = false;
  for (const target of options.targets) {
    await streamLines({
      podman: options.podman,
      target,
      query: { tail: options.tail, since: options.since, follow: false },
      signal: options.signal,
      onLine: (line) => {
        if (lines.length < MAX_LINES) lines.push(line);
        else truncated = true;
      },
    });
  }
  return { lines, truncated };
}

/** Follows every replica at once, handing each line over as it arrives, until `signal` aborts. */
export async function followLogs(options: {
  podman: PodmanClient;
  targets: LogTarget[];
  tail: number;
  since?: string;
  signal: AbortSignal;
  onLine: (line: LogLine) => void;
}): Promise<void> {
  await Promise.all(
    options.targets.map((target) =>
      streamLines({
        podman: options.podman,
        target,
        query: { tail: options.tail, since: options.since, follow: true },
        signal: options.signal,
        onLine: options.onLine,
      }).catch(() => undefined),
    ),
  );
}
