import type { ErrorCode } from '../errors.js';

export interface ActivityCall {
  time: string;
  tool: string;
  ok: boolean;
  code?: string;
  ms: number;
}

export interface ActivityError extends ActivityCall {
  message: string;
}

const CALLS = 100;
const ERRORS = 50;
const MESSAGE_CHARS = 300;
/** The spec's longest tool name; an unknown name a client sends can be megabytes long. */
const NAME_CHARS = 128;
const CODE_CHARS = 64;

/**
 * At most `max` characters, in a string of its own: V8 keeps a slice pointing into the string it
 * was cut from, so a cut of a 3 MB name would keep all 3 MB alive in the ring.
 */
export function bounded(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max - 3)}...` : text;
  return Buffer.from(cut, 'utf8').toString('utf8');
}

/** The last tool calls and errors of this process, for GET /api/activity: bounded rings of bounded entries. */
export class Activity {
  private readonly calls: ActivityCall[] = [];
  private readonly errors: ActivityError[] = [];

  /** `message` must already be scrubbed of secrets: it is shown as is. */
  record(call: { tool: string; ok: boolean; code?: ErrorCode | string; ms: number; message?: string }): void {
    const entry: ActivityCall = {
      time: new Date().toISOString(),
      tool: bounded(call.tool, NAME_CHARS),
      ok: call.ok,
      ...(call.code ? { code: bounded(call.code, CODE_CHARS) } : {}),
      ms: Math.round(call.ms),
    };
    push(this.calls, entry, CALLS);
    if (!call.ok)
      push(this.errors, { ...entry, message: bounded(call.message ?? '', MESSAGE_CHARS) }, ERRORS);
  }

  /** Newest first. */
  snapshot(): { calls: ActivityCall[]; errors: ActivityError[] } {
    return { calls: [...this.calls].reverse(), errors: [...this.errors].reverse() };
  }
}

function push<T>(ring: T[], item: T, max: number): void {
  ring.push(item);
  if (ring.length > max) ring.shift();
}
