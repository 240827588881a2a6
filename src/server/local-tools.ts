import type { Logger } from 'pino';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { type CallExtra, errorResult, type ToolEntry, type ToolServices } from '../core/tools.js';
import { type ErrorCode, McpPodmanError, toMcpPodmanError } from '../errors.js';
import type { PodmanConnection } from '../podman/connection.js';
import type { Redactor } from '../tools/redact.js';
import type { ToolContext, ToolDef } from '../tools/types.js';

export interface LocalToolDeps {
  connection: PodmanConnection;
  config: Config;
  log: Logger;
  redactor: Redactor;
  /** Aborted when the process shuts down; every call's signal follows it. */
  shutdown: AbortSignal;
  /** The services tools may ask for, once attached (the gateway, for registry tools). */
  services?: { [K in keyof ToolServices]?: () => ToolServices[K] | undefined };
}

/** JSON Schema for a tool's arguments, as tools/list shows it. */
export function inputJsonSchema(schema: z.ZodObject): ToolEntry['inputSchema'] {
  const json = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  delete json.$schema;
  return { ...json, type: 'object' } as ToolEntry['inputSchema'];
}

/** Turns a tool definition into a registry entry: validation, context, and coded errors. */
export function localToolEntry(def: ToolDef, deps: LocalToolDeps): ToolEntry {
  return {
    name: def.name,
    title: def.title,
    description: def.description,
    inputSchema: inputJsonSchema(def.input),
    annotations: { title: def.title, ...def.annotations },
    toolset: def.toolset,
    async call(rawArgs, extra) {
      const parsed = def.input.safeParse(rawArgs ?? {});
      if (!parsed.success) return errorResult(invalidArguments(def.name, parsed.error), deps.redactor);
      const ctx = contextFor(deps, extra);
      try {
        const result = await def.handler(parsed.data, ctx);
        return {
          content: [{ type: 'text', text: deps.redactor.scrub(result.text) }],
          structuredContent: deps.redactor.scrubDeep(result.data),
        };
      } catch (err) {
        const coded = toMcpPodmanError(err);
        if (coded.code === 'INTERNAL_ERROR')
          deps.log.error({ err: coded.cause ?? coded, tool: def.name }, 'tool failed unexpectedly');
        if (extra.signal.aborted && coded.code !== 'CANCELLED') {
          return errorResult(
            new McpPodmanError('CANCELLED', `The ${def.name} call was cancelled.`, { cause: err }),
            deps.redactor,
          );
        }
        return errorResult(coded, deps.redactor);
      }
    },
  };
}

function contextFor(deps: LocalToolDeps, extra: CallExtra): ToolContext {
  return {
    podman: () => deps.connection.get(),
    connection: deps.connection,
    signal: AbortSignal.any([extra.signal, deps.shutdown]),
    // Progress text can echo what a build or pull printed; it leaves the process like any result.
    progress: (progress, total, message) =>
      extra.sendProgress(progress, total, message === undefined ? undefined : deps.redactor.scrub(message)),
    log: deps.log,
    config: deps.config,
    redactor: deps.redactor,
    session: extra.session,
    service(name) {
      const service = deps.services?.[name]?.();
      if (!service) {
        throw new McpPodmanError(
          'UNAVAILABLE',
          `The ${name} is not enabled on this server (its toolsets leave out "registry").`,
        );
      }
      return service;
    },
  };
}

/** A zod failure as INVALID_PARAMS (or the more precise code a schema attached to the issue). */
export function invalidArguments(tool: string, error: z.ZodError): McpPodmanError {
  let code: ErrorCode = 'INVALID_PARAMS';
  const problems = error.issues.map((issue) => {
    const marked = (issue as { params?: { errorCode?: ErrorCode } }).params?.errorCode;
    if (marked) code = marked;
    const path = issue.path.length ? issue.path.join('.') : '(arguments)';
    return `${path}: ${issue.message}`;
  });
  return new McpPodmanError(
    code,
    `Invalid arguments for ${tool}: ${problems.join('; ')}. Fix them and call again.`,
    {
      details: {
        issues: error.issues.map((i) => ({ path: i.path.map(String), message: i.message, code: i.code })),
      },
    },
  );
}
