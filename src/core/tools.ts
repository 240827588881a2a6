import { EventEmitter } from 'node:events';
import type {
  CallToolResult,
  CreateMessageRequest,
  CreateMessageResult,
  ElicitRequest,
  ElicitResult,
  LoggingMessageNotification,
  Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpPodmanError } from '../errors.js';

/**
 * The core of a tool, below everything that serves or defines one: what the MCP server lists and
 * calls (ToolEntry, ToolRegistry), what a call carries (CallExtra, DownstreamSession), and the
 * one shape of a failed call. It imports nothing of this project but its errors.
 */

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** What the operator's policy looks at to decide whether a tool is exposed. */
export interface PolicySubject {
  name: string;
  toolset: string;
  annotations: ToolAnnotations;
}

/**
 * Services a tool handler may ask its context for, by name. A module that provides one declares
 * it here by declaration merging (the gateway declares `gateway`), so this file needs to know
 * none of them and nothing imports in a circle.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by declaration merging
export interface ToolServices {}

/** What errorResult needs of the redactor: scrubbing remembered secret values out of a value. */
export interface Scrubber {
  scrubDeep<T>(value: T): T;
}

/** The one shape of a failed tool call: isError, a text with code and hint, and structured error. */
export function errorResult(err: McpPodmanError, redactor: Scrubber): CallToolResult {
  const error = redactor.scrubDeep(err.toJSON());
  return {
    isError: true,
    content: [{ type: 'text', text: `${error.code}: ${error.message}` }],
    structuredContent: { error },
  };
}

/** The client session a call came from, for requests a mounted server sends back (sampling, elicitation). */
export interface DownstreamSession {
  id?: string;
  supports(capability: 'sampling' | 'elicitation'): boolean;
  createMessage(
    params: CreateMessageRequest['params'],
    options: { signal: AbortSignal },
  ): Promise<CreateMessageResult>;
  elicitInput(params: ElicitRequest['params'], options: { signal: AbortSignal }): Promise<ElicitResult>;
  /** A mounted server's log message about this call, sent on the call's own stream. */
  log(params: LoggingMessageNotification['params']): Promise<void>;
}

/** What a tools/call handler gets from the session that received it. */
export interface CallExtra {
  signal: AbortSignal;
  progressToken?: string | number;
  sendProgress(progress: number, total?: number, message?: string): Promise<void>;
  sessionId?: string;
  session?: DownstreamSession;
}

/**
 * One callable tool as the MCP server sees it: local Podman tools and tools proxied from mounted
 * servers alike. The input schema is JSON Schema, because proxied tools only have that.
 */
export interface ToolEntry {
  name: string;
  title?: string;
  description: string;
  inputSchema: Tool['inputSchema'];
  annotations: ToolAnnotations & { title?: string };
  toolset: string;
  call(args: unknown, extra: CallExtra): Promise<CallToolResult>;
}

/**
 * The tools this process serves, shared by every session. It emits `changed` whenever the list
 * changes, and every session turns that into notifications/tools/list_changed.
 */
export class ToolRegistry extends EventEmitter<{ changed: [] }> {
  private readonly entries = new Map<string, ToolEntry>();
  /** Tools hidden by the operator's policy, with the reason a call gets. */
  private readonly hidden = new Map<string, string>();

  add(entry: ToolEntry): void {
    this.entries.set(entry.name, entry);
    this.emit('changed');
  }

  /** Adds or replaces several entries and announces the change once. */
  addAll(entries: ToolEntry[]): void {
    for (const e of entries) this.entries.set(e.name, e);
    if (entries.length) this.emit('changed');
  }

  remove(names: string[]): void {
    let changed = false;
    for (const n of names) changed = this.entries.delete(n) || changed;
    if (changed) this.emit('changed');
  }

  hide(name: string, reason: string): void {
    this.hidden.set(name, reason);
  }

  get(name: string): ToolEntry | undefined {
    return this.entries.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  hiddenReason(name: string): string | undefined {
    return this.hidden.get(name);
  }

  list(): ToolEntry[] {
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }
}
