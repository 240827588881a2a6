import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Config } from '../config/schema.js';
import type { DownstreamSession, ToolAnnotations, ToolServices } from '../core/tools.js';
import type { PodmanClient } from '../podman/client.js';
import type { PodmanConnection } from '../podman/connection.js';
import type { Redactor } from './redact.js';

export const TOOLSETS = {
  containers: 'Containers: list, run, start, stop, restart, remove, logs, exec, inspect, stats, top',
  images: 'Images: list, pull, inspect, remove, build, tag, push, history, prune',
  pods: 'Pods: create, list, inspect, start, stop, restart, remove, logs',
  volumes: 'Volumes: create, list, inspect, remove, prune',
  networks: 'Networks: create, list, inspect, remove, connect, disconnect',
  secrets: 'Secrets: create, list, inspect (metadata only), remove',
  kube: 'Kubernetes YAML: generate, play, down',
  compose: 'Compose files on the REST API: up, down, ps',
  system: 'System: info, events, disk usage',
  registry: 'Gateway: run containerized MCP servers and serve their tools',
} as const;

export type ToolsetName = keyof typeof TOOLSETS;

export type { ToolAnnotations } from '../core/tools.js';

/** What a handler gets besides its arguments. */
export interface ToolContext {
  /** The Podman client; connecting (or starting the embedded service) on first use. */
  podman(): Promise<PodmanClient>;
  connection: PodmanConnection;
  /** Aborted when the client cancels the call or the server shuts down. */
  signal: AbortSignal;
  /** Sends notifications/progress when the client asked for it (a no-op otherwise). */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  log: Logger;
  config: Config;
  redactor: Redactor;
  /** A service by name (the gateway, for registry tools); UNAVAILABLE when this server runs none. */
  service<K extends keyof ToolServices>(name: K): ToolServices[K];
  /** The client session of this call, for requests a mounted server sends back. */
  session?: DownstreamSession;
}

/** A successful result: structured data for programs and a concise text rendering for the model. */
export interface ToolResult {
  text: string;
  data: Record<string, unknown>;
}

export interface ToolDef<S extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  toolset: ToolsetName;
  input: S;
  annotations: ToolAnnotations;
  handler(args: z.infer<S>, ctx: ToolContext): Promise<ToolResult>;
}

/** Keeps the schema's type flowing into the handler while the list of tools stays plain data. */
export function defineTool<S extends z.ZodObject>(def: ToolDef<S>): ToolDef {
  return def as unknown as ToolDef;
}

export const READ_ONLY: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

/** Changes state but removes nothing (create, start, tag...). */
export const MUTATING: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
};

/** Removes or stops something, or loses data. */
export const DESTRUCTIVE: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: true,
  openWorldHint: false,
};
