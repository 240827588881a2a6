import { RE2JS } from 're2js';
import { z } from 'zod';
import { McpPodmanError } from '../errors.js';
import type { PodmanClient } from '../podman/client.js';
import { BoundedText, demux } from '../podman/streams.js';

/** Log arguments shared by container and pod logs. The first five are the documented contract. */
export const logArgs = {
  tail: z
    .number()
    .int()
    .min(-1)
    .max(100_000)
    .default(100)
    .describe('Number of lines to show from the end (default 100; -1 for all, still capped by maxBytes)'),
  since: z
    .string()
    .regex(/^[\w:.+-]{1,64}$/, 'must be an RFC 3339 time, a Unix timestamp or a duration such as 10m')
    .optional()
    .describe('Show logs since a timestamp (RFC 3339 or Unix) or a duration such as "10m"'),
  until: z
    .string()
    .regex(/^[\w:.+-]{1,64}$/, 'must be an RFC 3339 time, a Unix timestamp or a duration such as 10m')
    .optional()
    .describe('Show logs until a timestamp (RFC 3339 or Unix) or a duration such as "5m"'),
  follow: z
    .boolean()
    .default(false)
    .describe('Follow new output for a bounded time (followMs) or line count (maxLines), then return'),
  timestamps: z.boolean().default(false).describe('Prefix each line with its timestamp'),
  grep: z
    .string()
    .max(200)
    .superRefine((pattern, ctx) => {
      const problem = grepSyntaxProblem(pattern);
      if (problem) ctx.addIssue({ code: 'custom', message: `${GREP_SYNTAX}; ${problem}` });
    })
    .optional()
    .describe(
      'Keep only lines matching this regular expression, in RE2 syntax (linear-time: no backreferences or ' +
        'lookaround; (?i) for case-insensitive)',
    ),
  maxBytes: z
    .number()
    .int()
    .min(256)
    .max(1024 * 1024)
    .optional()
    .describe('Cap on returned bytes (newest kept)'),
  followMs: z
    .number()
    .int()
    .min(100)
    .max(120_000)
    .optional()
    .describe('With follow: how long to collect (ms)'),
  maxLines: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .optional()
    .describe('With follow: return once this many lines were read (the tail included)'),
};

/** Longest partial line kept while waiting for its end. */
const MAX_PENDING_LINE = 64 * 1024;

export type LogArgs = z.infer<z.ZodObject<typeof logArgs>>;

const GREP_SYNTAX =
  'must be a regular expression in RE2 syntax (as Go regexp: no backreferences such as \\1, no lookahead or lookbehind)';

/** Why RE2 refuses the pattern (its parser's own words), or undefined when it compiles. */
function grepSyntaxProblem(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export interface CollectedLogs {
  text: string;
  lines: number;
  truncated: boolean;
  /** Whether a follow ended by its time or line bound (rather than the container stopping). */
  stoppedBy?: 'time' | 'lines' | 'end';
}

export interface CollectOptions {
  client: PodmanClient;
  container: string;
  args: LogArgs;
  defaultMaxBytes: number;
  defaultFollowMs: number;
  signal: AbortSignal;
  /** Prefix each line with this (pod logs tag lines with their container). */
  tag?: string;
}

/** Streams a container's logs through grep into a byte-bounded buffer; never buffers the whole log. */
export async function collectLogs(options: CollectOptions): Promise<CollectedLogs> {
  const { client, container, args } = options;
  const out = new BoundedText(args.maxBytes ?? options.defaultMaxBytes, 'tail');
  // RE2, never JS RegExp: the client writes the pattern and a container it runs writes the lines,
  // and a backtracking engine let "^(a+)+$" over 36 characters hold the event loop (every session
  // and /health with it) for over a minute. RE2 matches in time linear in the line.
  const grep = args.grep ? RE2JS.compile(args.grep) : undefined;
  if (options.signal.aborted) throw new McpPodmanError('CANCELLED', 'The request was cancelled.');
  const local = new AbortController();
  const onAbort = () => local.abort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  let stoppedBy: CollectedLogs['stoppedBy'] = 'end';
  let timer: NodeJS.Timeout | undefined;
  if (args.follow) {
    timer = setTimeout(() => {
      stoppedBy = 'time';
      local.abort();
    }, args.followMs ?? options.defaultFollowMs);
  }
  let lines = 0;
  let newLines = 0;
  const pending: Record<string, string> = { stdout: '', stderr: '' };
  const emit = (line: string) => {
    if (grep && !grep.test(line)) return;
    lines++;
    out.push(`${options.tag ? `[${options.tag}] ` : ''}${line}\n`);
  };
  try {
    const res = await client.request('GET', `/libpod/containers/${encodeURIComponent(container)}/logs`, {
      query: {
        stdout: true,
        stderr: true,
        follow: args.follow,
        timestamps: args.timestamps,
        tail: args.tail < 0 ? undefined : String(args.tail),
        since: args.since,
        until: args.until,
      },
      signal: local.signal,
      notFound: {
        code: 'CONTAINER_NOT_FOUND',
        message: `No container "${container}". Use podman_ps with all=true to list containers.`,
      },
    });
    for await (const frame of demux(res.body)) {
      const text = pending[frame.stream] + frame.data.toString('utf8');
      const parts = text.split('\n');
      const rest = parts.pop() ?? '';
      // A line that never ends is cut into pieces rather than held whole in memory.
      if (rest.length > MAX_PENDING_LINE) parts.push(rest);
      pending[frame.stream] = rest.length > MAX_PENDING_LINE ? '' : rest;
      for (const line of parts) {
        emit(line);
        if (args.follow && args.maxLines && ++newLines >= args.maxLines) {
          stoppedBy = 'lines';
          local.abort();
          break;
        }
      }
      if (local.signal.aborted) break;
    }
  } catch (err) {
    if (!local.signal.aborted || options.signal.aborted) {
      if (options.signal.aborted) throw new McpPodmanError('CANCELLED', 'The log request was cancelled.');
      throw err;
    }
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onAbort);
    local.abort();
  }
  for (const rest of Object.values(pending)) if (rest) emit(rest);
  return { text: out.toString(), lines, truncated: out.truncated, ...(args.follow ? { stoppedBy } : {}) };
}
