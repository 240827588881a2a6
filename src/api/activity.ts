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
const MESSAGE_CHARS = 500;

/** The last tool calls and errors of this process, for GET /api/activity (bounded rings). */
export class Activity {
  private readonly calls: ActivityCall[] = [];
  private readonly errors: ActivityError[] = [];

  /** `message` must already be scrubbed of secrets: it is shown as is. */
  record(call: { tool: string; ok: boolean; code?: ErrorCode | string; ms: number; message?: string }): void {
    const entry: ActivityCall = {
      time: new Date().toISOString(),
      tool: call.tool,
      ok: call.ok,
      ...(call.code ? { code: call.code } : {}),
      ms: Math.round(call.ms),
    };
    push(this.calls, entry, CALLS);
    if (!call.ok)
      push(this.errors, { ...entry, message: (call.message ?? '').slice(0, MESSAGE_CHARS) }, ERRORS);
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
