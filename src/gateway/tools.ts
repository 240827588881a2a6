import { z } from 'zod';
import { ERROR_CODES, McpPodmanError } from '../errors.js';
import { table } from '../tools/render.js';
import { defineTool, MUTATING, READ_ONLY, type ToolDef } from '../tools/types.js';
import { prefixSchema } from './catalog-schema.js';
import type { Gateway } from './gateway.js';

declare module '../core/tools.js' {
  /** The gateway serves the registry_* tools: `ctx.service('gateway')` in their handlers. */
  interface ToolServices {
    gateway: Gateway;
  }
}

const envValues = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an env variable name'),
    z.string().max(32 * 1024),
  )
  .default({});

/** The gateway's own tools (toolset "registry"), named as in the registry this project replaces. */

const list = defineTool({
  name: 'registry_list',
  title: 'Search the MCP server catalog',
  description:
    'Search the catalog of MCP servers that can be run in hardened containers (registry_add mounts one).',
  toolset: 'registry',
  input: z.object({
    query: z
      .string()
      .max(200)
      .default('')
      .describe('Words to match in id, name and description (empty: all)'),
    limit: z.number().int().min(1).max(200).default(50).describe('Maximum entries to return'),
  }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const gateway = ctx.service('gateway');
    const found = gateway.catalog.search(args.query);
    const mounted = new Map(gateway.list().map((r) => [r.mount.entry.id, r.mount.prefix]));
    const entries = found.slice(0, args.limit).map((e) => ({
      id: e.id,
      name: e.name,
      description: e.description,
      source: e.image ? { image: e.image } : { package: `${e.package!.name}@${e.package!.version}` },
      transport: e.transport.type,
      env: Object.entries(e.env).map(([k, v]) => ({
        name: k,
        required: v.required,
        secret: v.secret,
        description: v.description,
      })),
      volumes: e.volumes.map((v) => ({
        target: v.target,
        writable: v.writable,
        description: v.description,
      })),
      network: e.network ?? (e.transport.type === 'http' ? 'bridge' : 'none'),
      mountedAs: mounted.get(e.id),
      catalog: e.source,
    }));
    const text = entries.length
      ? table(
          ['ID', 'NAME', 'SOURCE', 'MOUNTED'],
          entries.map((e) => [
            e.id,
            e.name,
            'image' in e.source ? e.source.image : e.source.package,
            e.mountedAs ?? '',
          ]),
        )
      : `No catalog entry matches "${args.query}".`;
    return {
      text: text + (found.length > entries.length ? `\n(showing ${entries.length} of ${found.length})` : ''),
      data: { entries, total: found.length },
    };
  },
});

const add = defineTool({
  name: 'registry_add',
  title: 'Mount an MCP server',
  description:
    'Run a catalog entry in a hardened Podman container, initialize it, and serve its tools as <prefix>_<tool> (and its ' +
    'resources and prompts). Pulls or builds the image if needed. Secret env values are stored as Podman secrets.',
  toolset: 'registry',
  input: z.object({
    entry_id: z.string().min(1).max(128).describe('Catalog entry id (see registry_list)'),
    prefix: prefixSchema.optional().describe('Tool name prefix (default: the entry prefix)'),
    env: envValues.describe('Values for the entry env variables; secret ones are never shown again'),
    volumes: z
      .record(z.string().startsWith('/'), z.string().min(1))
      .default({})
      .describe('Host path (or volume name) for each volume target the entry declares'),
  }),
  annotations: { ...MUTATING, openWorldHint: true },
  async handler(args, ctx) {
    let step = 0;
    const summary = await ctx.service('gateway').add(
      { entryId: args.entry_id, prefix: args.prefix, env: args.env, volumes: args.volumes },
      {
        signal: ctx.signal,
        sessionId: ctx.session?.id,
        progress: (message) => void ctx.progress(++step, undefined, message),
      },
    );
    const text = [
      `Mounted ${summary.name} as "${summary.prefix}" in container ${summary.container} (${summary.activationMs} ms).`,
      `Tools (${summary.toolCount}): ${summary.tools.join(', ') || 'none'}`,
      summary.resources || summary.resourceTemplates
        ? `Resources: ${summary.resources}, templates: ${summary.resourceTemplates}`
        : '',
      summary.prompts ? `Prompts: ${summary.prompts}` : '',
      summary.collisions.length
        ? `Not listed because the names are taken: ${summary.collisions.join(', ')}`
        : '',
      summary.rejected.length
        ? `Not served because their names break the MCP naming rules: ${summary.rejected.join(', ')}`
        : '',
      `Allowed: network ${summary.permissions.network}, root ${summary.permissions.rootFilesystem}, capabilities ${summary.permissions.capabilities}, memory ${summary.permissions.memory}, cpus ${summary.permissions.cpus}, pids ${summary.permissions.pids}`,
      'If your client does not refresh its tool list, call them through registry_exec.',
    ]
      .filter(Boolean)
      .join('\n');
    return { text, data: summary };
  },
});

const exec = defineTool({
  name: 'registry_exec',
  title: 'Call a mounted tool',
  description:
    'Call a mounted server tool by its full name <prefix>_<tool>, for clients that do not refresh their tool list.',
  toolset: 'registry',
  input: z.object({
    tool_name: z.string().min(1).max(256).describe('Full tool name, <prefix>_<tool>'),
    arguments: z.record(z.string(), z.unknown()).default({}).describe('Arguments for the tool'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  async handler(args, ctx) {
    const result = await ctx.service('gateway').exec(args.tool_name, args.arguments, {
      signal: ctx.signal,
      session: ctx.session,
      sessionId: ctx.session?.id,
      sendProgress: (p, t, m) => ctx.progress(p, t, m),
    });
    if (result.isError) {
      const error = (result.structuredContent as { error?: { code: string; message: string } } | undefined)
        ?.error;
      const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
      // Our own coded errors (TIMEOUT, UNAVAILABLE...) keep their code; a server's own failure is upstream.
      const code = ERROR_CODES.find((c) => c === error?.code) ?? 'UPSTREAM_ERROR';
      throw new McpPodmanError(code, error?.message ?? text, {
        details: { result },
      });
    }
    const text = result.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
    return { text, data: { tool: args.tool_name, result } };
  },
});

const remove = defineTool({
  name: 'registry_remove',
  title: 'Unmount an MCP server',
  description:
    'Stop and remove a mounted server (by entry id or prefix): its container, secrets and tools go.',
  toolset: 'registry',
  input: z
    .object({
      entry_id: z
        .string()
        .min(1)
        .max(128)
        .optional()
        .describe('Catalog entry id (removes every mount of it)'),
      prefix: prefixSchema.optional().describe('Prefix of the mount to remove'),
    })
    .refine((v) => Boolean(v.entry_id) !== Boolean(v.prefix), 'give exactly one of entry_id or prefix'),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async handler(args, ctx) {
    const started = performance.now();
    const removed = await ctx.service('gateway').remove({ entryId: args.entry_id, prefix: args.prefix });
    const ms = Math.round(performance.now() - started);
    return { text: `Removed ${removed.join(', ')} (${ms} ms).`, data: { removed, removalMs: ms } };
  },
});

const status = defineTool({
  name: 'registry_status',
  title: 'Mounted servers',
  description:
    'Each mount: state, container, uptime, restarts, last error, tool count, and what it is allowed to do.',
  toolset: 'registry',
  input: z.object({}),
  annotations: READ_ONLY,
  async handler(_args, ctx) {
    const gateway = ctx.service('gateway');
    const mounts = gateway.list().map((r) => gateway.summary(r));
    const text = mounts.length
      ? table(
          ['PREFIX', 'ENTRY', 'STATE', 'CONTAINER', 'UPTIME', 'RESTARTS', 'TOOLS', 'LAST ERROR'],
          mounts.map((m) => [
            m.prefix,
            m.entry,
            m.state,
            m.container ?? '-',
            m.uptimeSeconds === undefined ? '-' : `${m.uptimeSeconds}s`,
            m.restarts,
            m.toolCount,
            m.lastError ?? '',
          ]),
        )
      : 'Nothing is mounted. Use registry_list and registry_add.';
    const standby = gateway.standbyStatus();
    const warm = standby.length
      ? `\nWarm standby: ${standby.map((w) => `${w.entry} (${w.state})`).join(', ')}`
      : '';
    return { text: text + warm, data: { gateway: gateway.id, mounts, standby } };
  },
});

const configSet = defineTool({
  name: 'registry_config_set',
  title: 'Reconfigure a mounted server',
  description:
    'Set env values of a mounted entry (secret ones go into Podman secrets) and restart it to apply them.',
  toolset: 'registry',
  input: z.object({
    entry_id: z.string().min(1).max(128).describe('Catalog entry id of the mounted server'),
    env: envValues.describe('Env values to set; secret ones are stored as Podman secrets and never shown'),
  }),
  annotations: { ...MUTATING, destructiveHint: true },
  async handler(args, ctx) {
    const restarted = await ctx.service('gateway').configure(args.entry_id, args.env, { signal: ctx.signal });
    return {
      text: `Updated ${Object.keys(args.env).join(', ') || 'nothing'} and restarted ${restarted.join(', ')}.`,
      data: { entry: args.entry_id, updated: Object.keys(args.env), restarted },
    };
  },
});

export const registryTools: ToolDef[] = [list, add, exec, remove, status, configSet];
