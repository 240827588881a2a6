import { EventEmitter } from 'node:events';
import { realpath } from 'node:fs/promises';
import type {
  CallToolResult,
  GetPromptResult,
  LoggingMessageNotification,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import {
  type CallExtra,
  type DownstreamSession,
  errorResult,
  type PolicySubject,
  type ToolEntry,
  type ToolRegistry,
} from '../core/tools.js';
import { McpPodmanError, toMcpPodmanError } from '../errors.js';
import type { PodmanConnection } from '../podman/connection.js';
import { assertBindable } from '../tools/bind-roots.js';
import type { Redactor } from '../tools/redact.js';
import type { Catalog } from './catalog.js';
import { type CatalogEntry, defaultPrefix, PREFIX_RE } from './catalog-schema.js';
import {
  GATEWAY_LABELS,
  networkOf,
  ownerLabel,
  permissionsOf,
  type ResolvedVolume,
} from './container-spec.js';
import { resolveImage } from './images.js';
import { Mount } from './mount.js';
import { deleteSecrets, putSecret, secretName, secretsWithPrefix } from './mount-secrets.js';
import { isValidToolName, quoteName } from './upstream-text.js';

/** Prefixes that would collide with the gateway's own tool names. */
const RESERVED_PREFIXES = new Set(['podman', 'registry']);

export interface AddRequest {
  entryId: string;
  prefix?: string;
  env?: Record<string, string>;
  volumes?: Record<string, string>;
}

export interface GatewayDeps {
  config: Config;
  catalog: Catalog;
  connection: PodmanConnection;
  tools: ToolRegistry;
  redactor: Redactor;
  log: Logger;
  policy: (tool: PolicySubject) => string | undefined;
}

interface MountRecord {
  mount: Mount;
  secrets: string[];
  volumes: ResolvedVolume[];
  /** Tool names this mount put in the registry. */
  toolNames: string[];
  collisions: string[];
  /** Tools and prompts not served for a name that breaks the rules, quoted for display. */
  rejected: string[];
  /** perSession entries: the session the first container serves, and one more container per other session. */
  owner?: string;
  sessions: Map<string, Mount>;
}

interface GatewayEvents {
  resources: [];
  prompts: [];
  /** A mount's log message for the one session that owns the mount (no call of it was in flight). */
  log: [{ sessionId: string; message: LoggingMessageNotification['params'] }];
}

/**
 * Runs catalog entries as mounts and serves what they offer through the process's MCP endpoint:
 * tools as `<prefix>_<tool>` in the shared ToolRegistry, resources as `<prefix>+<uri>`, prompts as
 * `<prefix>_<prompt>`. It owns every mount container and removes them all on close.
 */
export class Gateway extends EventEmitter<GatewayEvents> {
  private readonly mounts = new Map<string, MountRecord>();
  private closed = false;

  constructor(private readonly deps: GatewayDeps) {
    super();
  }

  get catalog(): Catalog {
    return this.deps.catalog;
  }

  get id(): string {
    return this.deps.config.gateway.id;
  }

  list(): MountRecord[] {
    return [...this.mounts.values()];
  }

  async add(
    request: AddRequest,
    ctx: { signal: AbortSignal; progress: (message: string) => void; sessionId?: string },
  ) {
    const started = performance.now();
    const entry = this.deps.catalog.get(request.entryId);
    if (!entry) {
      throw new McpPodmanError(
        'NOT_FOUND',
        `No catalog entry "${request.entryId}". Use registry_list to search the catalog.`,
      );
    }
    const prefix = request.prefix ?? defaultPrefix(entry);
    if (!PREFIX_RE.test(prefix) || RESERVED_PREFIXES.has(prefix)) {
      throw new McpPodmanError(
        'INVALID_PARAMS',
        `Prefix "${prefix}" is not usable: it must match ${PREFIX_RE} and not be ${[...RESERVED_PREFIXES].join(' or ')}. Pass another prefix.`,
      );
    }
    if (this.mounts.has(prefix) || this.adding.has(prefix)) {
      throw new McpPodmanError(
        'CONFLICT',
        `Prefix "${prefix}" is already mounted or being added${this.mounts.has(prefix) ? ` (${this.mounts.get(prefix)!.mount.entry.id})` : ''}. Pass another prefix, or registry_remove it first.`,
      );
    }
    // Reserved until this call ends, so a concurrent add of the same prefix cannot interleave.
    this.adding.add(prefix);
    try {
      return await this.addReserved(entry, prefix, request, ctx, started);
    } finally {
      this.adding.delete(prefix);
    }
  }

  private readonly adding = new Set<string>();

  private async addReserved(
    entry: CatalogEntry,
    prefix: string,
    request: AddRequest,
    ctx: { signal: AbortSignal; progress: (message: string) => void; sessionId?: string },
    started: number,
  ) {
    const warm = this.claimStandby(entry, request);
    if (warm) {
      warm.claim(prefix, this.deps.config.gateway.idleTimeoutMs);
      const record: MountRecord = {
        mount: warm,
        secrets: [],
        volumes: warm.options.volumes,
        toolNames: [],
        collisions: [],
        rejected: [],
        owner: ctx.sessionId,
        sessions: new Map(),
      };
      this.mounts.set(prefix, record);
      this.publish(record);
      this.refill(entry, 'warm pool refill failed');
      return this.summary(record, Math.round(performance.now() - started));
    }
    const { env, secretValues } = this.splitEnv(entry, request.env ?? {});
    // Host paths a caller passes follow the operator's bind roots and are mounted by their real
    // paths; the catalog's own defaults are the operator's config.
    const given = Object.entries(request.volumes ?? {}).filter(([, source]) => source.startsWith('/'));
    const reals = await assertBindable(
      given.map(([, source]) => source),
      this.deps.config.bindRoots,
      `Mounting ${entry.id}`,
    );
    const volumes = await this.resolveVolumes(entry, {
      ...request.volumes,
      ...Object.fromEntries(given.map(([target], i) => [target, reals[i]!])),
    });
    const podman = await this.deps.connection.get();
    const image = await resolveImage({
      client: podman,
      entry,
      baseImage: this.deps.config.gateway.baseImage,
      stallMs: this.deps.config.limits.registryStallMs,
      signal: ctx.signal,
      progress: ctx.progress,
    });

    const secrets: string[] = [];
    const secretEnv: Record<string, string> = {};
    for (const s of entry.secrets) if (s.type === 'env') secretEnv[s.target ?? s.name] = s.name;
    try {
      for (const [variable, value] of Object.entries(secretValues)) {
        const name = secretName(this.id, prefix, variable);
        this.deps.redactor.remember(value);
        secrets.push(name); // before the call: a reply lost after Podman stored it must not leak it
        await putSecret(podman, name, value);
        secretEnv[variable] = name;
      }
      if (this.closed)
        throw new McpPodmanError('UNAVAILABLE', 'The gateway is shutting down; nothing was started.');
      ctx.progress(`starting ${entry.name}`);
      const mount = this.newMount({ entry, prefix, image, env, secretEnv, volumes });
      const record: MountRecord = {
        mount,
        secrets,
        volumes,
        toolNames: [],
        collisions: [],
        rejected: [],
        owner: ctx.sessionId,
        sessions: new Map(),
      };
      this.mounts.set(prefix, record);
      try {
        await mount.start(ctx.signal);
        if (this.closed || this.mounts.get(prefix) !== record) {
          throw new McpPodmanError(
            'CANCELLED',
            `${entry.name} was removed (or the gateway closed) while it started.`,
          );
        }
      } catch (err) {
        if (this.mounts.get(prefix) === record) this.mounts.delete(prefix);
        await mount.remove();
        throw err;
      }
      this.publish(record);
      return this.summary(record, Math.round(performance.now() - started));
    } catch (err) {
      await deleteSecrets(podman, secrets);
      throw err;
    }
  }

  private newMount(
    o: {
      entry: CatalogEntry;
      prefix: string;
      image: string;
      env: Record<string, string>;
      secretEnv: Record<string, string>;
      volumes: ResolvedVolume[];
      sessionId?: string;
    },
    options: { standby?: boolean } = {},
  ): Mount {
    const g = this.deps.config.gateway;
    const mount = new Mount({
      ...o,
      confinement: {
        bindRoots: o.volumes.filter((v) => v.source.startsWith('/')).map((v) => v.source),
        allowHostNetwork: this.deps.config.allowHostNetwork || networkOf(o.entry) === 'host',
        capAdd: o.entry.relax.capAdd,
      },
      gatewayId: this.id,
      podman: () => this.deps.connection.get(),
      log: this.deps.log,
      timeouts: {
        initMs: g.initTimeoutMs,
        callMs: g.callTimeoutMs,
        // A standby waits for its registry_add; its idle clock starts when it is claimed.
        idleMs: options.standby ? 0 : g.idleTimeoutMs,
        restartBaseMs: g.restartBaseMs,
        restartMaxMs: g.restartMaxMs,
        maxRestarts: g.maxRestarts,
      },
    });
    mount.on('offer', () => {
      const record = this.mounts.get(mount.prefix);
      if (record?.mount === mount) this.publish(record);
    });
    mount.on('log', (m) => this.routeLog(mount, m.params, m.calls));
    return mount;
  }

  /**
   * A mount's log message goes only where it belongs: on the stream of each call in flight on that
   * container (a shared mount cannot tell which of them it is about), else to the session a
   * perSession container serves; a shared mount's message with no call in flight goes nowhere.
   */
  private routeLog(
    mount: Mount,
    params: LoggingMessageNotification['params'],
    calls: DownstreamSession[],
  ): void {
    const message = {
      level: params.level,
      logger: params.logger ? `${mount.prefix}/${params.logger}` : mount.prefix,
      data: this.deps.redactor.scrubDeep(params.data),
    };
    const failed = (err: unknown) => this.deps.log.debug({ err }, 'could not forward a log message');
    if (calls.length) {
      for (const call of calls) call.log(message).catch(failed);
      return;
    }
    const record = this.mounts.get(mount.prefix);
    const owner = mount.entry.perSession
      ? (mount.sessionId ?? (record?.mount === mount ? record.owner : undefined))
      : undefined;
    if (owner) this.emit('log', { sessionId: owner, message });
    else
      this.deps.log.debug(
        { mount: mount.prefix, level: params.level },
        'a log message with no call in flight goes to no client',
      );
  }

  // --- warm pool: started, initialized containers waiting for a registry_add ---

  private readonly standby = new Map<string, Mount[]>();
  private standbyCounter = 0;

  /** Whether an entry can run with no input at all (nothing required, no volume to choose). */
  private static warmable(entry: CatalogEntry): boolean {
    return (
      entry.volumes.every((v) => v.source) && Object.values(entry.env).every((v) => !v.required && !v.secret)
    );
  }

  /** Starts the configured number of standby mounts per entry (gateway.warm). */
  async warmUp(): Promise<void> {
    await Promise.all(
      Object.entries(this.deps.config.gateway.warm).map(async ([id, count]) => {
        const entry = this.deps.catalog.get(id);
        if (!entry || count <= 0) return;
        if (!Gateway.warmable(entry)) {
          this.deps.log.warn({ entry: id }, 'entry needs input (env or volumes), so it cannot be kept warm');
          return;
        }
        await this.refill(entry, 'warm pool fill failed');
      }),
    );
  }

  /** Standbys being started, and the fill under way per entry: close() removes and awaits them. */
  private readonly warming = new Set<Mount>();
  private readonly fills = new Map<string, Promise<void>>();

  /**
   * Tops up an entry's warm pool in the background, one fill per entry at a time (a fill under way
   * keeps topping up until the pool is full); a failure is logged, never thrown.
   */
  private refill(entry: CatalogEntry, failure: string): Promise<void> {
    const running = this.fills.get(entry.id);
    if (running) return running;
    const fill = this.fillStandby(entry)
      .catch((err) => this.deps.log.warn({ err, entry: entry.id }, failure))
      .finally(() => this.fills.delete(entry.id));
    this.fills.set(entry.id, fill);
    return fill;
  }

  private async fillStandby(entry: CatalogEntry): Promise<void> {
    const want = this.deps.config.gateway.warm[entry.id] ?? 0;
    if (want <= 0 || this.closed) return;
    const pool = this.standby.get(entry.id) ?? [];
    this.standby.set(entry.id, pool);
    const podman = await this.deps.connection.get();
    const image = await resolveImage({
      client: podman,
      entry,
      baseImage: this.deps.config.gateway.baseImage,
      stallMs: this.deps.config.limits.registryStallMs,
    });
    const { env } = this.splitEnv(entry, {});
    const volumes = await this.resolveVolumes(entry, {});
    while (pool.length < want && !this.closed) {
      const secretEnv = Object.fromEntries(
        entry.secrets.filter((x) => x.type === 'env').map((x) => [x.target ?? x.name, x.name]),
      );
      const mount = this.newMount(
        { entry, prefix: `warm${++this.standbyCounter}`, image, env, secretEnv, volumes },
        { standby: true },
      );
      this.warming.add(mount);
      try {
        await mount.start();
      } finally {
        this.warming.delete(mount);
      }
      if (this.closed) {
        await mount.remove();
        return;
      }
      pool.push(mount);
    }
  }

  /** The warm pool, for registry_status. */
  standbyStatus(): { entry: string; state: string; container?: string }[] {
    return [...this.standby.entries()].flatMap(([entry, pool]) =>
      pool.map((m) => ({ entry, state: m.state, container: m.containerId?.slice(0, 12) })),
    );
  }

  /** A ready standby for a request that asks for nothing beyond the entry's defaults. */
  private claimStandby(entry: CatalogEntry, request: AddRequest): Mount | undefined {
    if (Object.keys(request.env ?? {}).length || Object.keys(request.volumes ?? {}).length) return undefined;
    const pool = this.standby.get(entry.id);
    const index = pool?.findIndex((m) => m.state === 'ready') ?? -1;
    if (!pool || index < 0) return undefined;
    return pool.splice(index, 1)[0];
  }

  /** Env for the container: declared defaults and given values; secret ones come back separately. */
  private splitEnv(
    entry: CatalogEntry,
    given: Record<string, string>,
    alreadySet: Set<string> = new Set(),
  ): { env: Record<string, string>; secretValues: Record<string, string> } {
    const unknown = Object.keys(given).filter((k) => !(k in entry.env));
    if (unknown.length) {
      const declared = Object.keys(entry.env);
      throw new McpPodmanError(
        'INVALID_PARAMS',
        `Entry "${entry.id}" does not declare ${unknown.join(', ')}. ${declared.length ? `It takes: ${declared.join(', ')}.` : 'It takes no environment variables.'}`,
      );
    }
    const env: Record<string, string> = {};
    const secretValues: Record<string, string> = {};
    const missing: string[] = [];
    for (const [name, spec] of Object.entries(entry.env)) {
      const value = given[name] ?? spec.default;
      if (value === undefined) {
        if (spec.required && !alreadySet.has(name)) missing.push(name);
        continue;
      }
      if (spec.secret) secretValues[name] = value;
      else env[name] = value;
    }
    if (missing.length) {
      throw new McpPodmanError(
        'INVALID_PARAMS',
        `Entry "${entry.id}" needs ${missing.join(', ')}. Pass ${missing.length > 1 ? 'them' : 'it'} in env (secret values are stored as Podman secrets and never shown).`,
        { details: { missing } },
      );
    }
    return { env, secretValues };
  }

  /**
   * The volumes of a mount, host paths by their real paths (a caller's were checked against the bind
   * roots; the catalog's defaults are the operator's): the mount may bind exactly these and is
   * checked for them at every start, so a link swapped in later is noticed.
   */
  private async resolveVolumes(
    entry: CatalogEntry,
    given: Record<string, string>,
  ): Promise<ResolvedVolume[]> {
    const targets = new Set(entry.volumes.map((v) => v.target));
    const unknown = Object.keys(given).filter((t) => !targets.has(t));
    if (unknown.length) {
      throw new McpPodmanError(
        'INVALID_PARAMS',
        `Entry "${entry.id}" declares no volume at ${unknown.join(', ')}; volumes are opt-in per entry. Declared: ${[...targets].join(', ') || 'none'}.`,
      );
    }
    const resolved = entry.volumes.map((v) => {
      const source = given[v.target] ?? v.source;
      if (!source) {
        throw new McpPodmanError(
          'INVALID_PARAMS',
          `Entry "${entry.id}" needs a host path for ${v.target}${v.description ? ` (${v.description})` : ''}. Pass volumes: {"${v.target}": "/host/path"}.`,
        );
      }
      if (!source.startsWith('/') && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(source)) {
        throw new McpPodmanError(
          'INVALID_PARAMS',
          `Volume source "${source}" for ${v.target} must be an absolute host path or a volume name.`,
        );
      }
      return { source, target: v.target, writable: v.writable };
    });
    return Promise.all(
      resolved.map(async (v) =>
        v.source.startsWith('/') ? { ...v, source: await realpath(v.source).catch(() => v.source) } : v,
      ),
    );
  }

  /** Puts a mount's tools in the registry (never shadowing another name) and announces resources/prompts. */
  private publish(record: MountRecord): void {
    const { mount } = record;
    const allow = mount.entry.tools ? new Set(mount.entry.tools) : undefined;
    // Only the operator's entry can make a tool read-only or non-destructive, never the server.
    const readOnly = new Set(mount.entry.readOnlyTools);
    const nonDestructive = new Set(mount.entry.nonDestructiveTools);
    const entries: ToolEntry[] = [];
    const collisions: string[] = [];
    const names: string[] = [];
    const rejected = [...mount.offer.rejected];
    for (const tool of mount.offer.tools) {
      if (allow && !allow.has(tool.name)) continue;
      const name = `${mount.prefix}_${tool.name}`;
      if (!isValidToolName(name)) {
        rejected.push(`tool ${quoteName(tool.name)} (too long with the prefix)`);
        continue;
      }
      const existing = this.deps.tools.get(name);
      if (existing && !record.toolNames.includes(name)) {
        collisions.push(name);
        continue;
      }
      const annotations = {
        readOnlyHint: readOnly.has(tool.name),
        destructiveHint: !readOnly.has(tool.name) && !nonDestructive.has(tool.name),
        idempotentHint: tool.annotations?.idempotentHint ?? false,
        openWorldHint: tool.annotations?.openWorldHint ?? true,
        ...(tool.annotations?.title ? { title: tool.annotations.title } : {}),
      };
      const hidden = this.deps.policy({ name, toolset: 'registry', annotations });
      if (hidden) {
        this.deps.tools.hide(name, hidden);
        continue;
      }
      names.push(name);
      entries.push({
        name,
        title: tool.title ?? tool.annotations?.title,
        description: `[${mount.entry.name}] ${tool.description ?? ''}`.trim(),
        inputSchema: tool.inputSchema,
        annotations,
        toolset: 'registry',
        call: (args, extra) =>
          this.callTool(mount.prefix, tool.name, (args ?? {}) as Record<string, unknown>, extra),
      });
    }
    const stale = record.toolNames.filter((n) => !names.includes(n));
    if (stale.length) this.deps.tools.remove(stale);
    this.deps.tools.addAll(entries);
    if (entries.length === 0 && stale.length === 0) this.deps.tools.emit('changed');
    record.toolNames = names;
    record.collisions = collisions;
    record.rejected = rejected;
    if (rejected.length)
      this.deps.log.warn({ mount: mount.prefix, rejected }, 'names break the MCP naming rules; not listed');
    if (collisions.length)
      this.deps.log.warn({ mount: mount.prefix, collisions }, 'tool names collide; not listed');
    this.emit('resources');
    this.emit('prompts');
  }

  private async callTool(
    prefix: string,
    tool: string,
    args: Record<string, unknown>,
    extra: CallExtra,
  ): Promise<CallToolResult> {
    const record = this.mounts.get(prefix);
    try {
      if (!record)
        throw new McpPodmanError(
          'NOT_FOUND',
          `${prefix} is not mounted any more. Use registry_status to see the mounts.`,
        );
      const result = await this.mountFor(record, extra.sessionId).callTool(tool, args, extra);
      return this.deps.redactor.scrubDeep(result);
    } catch (err) {
      return errorResult(toMcpPodmanError(err), this.deps.redactor);
    }
  }

  /**
   * The container that serves a session. Shared by default; an entry with perSession gets one
   * container per client session, started on that session's first call and removed when it closes.
   */
  private mountFor(record: MountRecord, sessionId: string | undefined): Mount {
    const base = record.mount;
    if (!base.entry.perSession || !sessionId) return base;
    record.owner ??= sessionId;
    if (record.owner === sessionId) return base;
    let mount = record.sessions.get(sessionId);
    if (!mount) {
      const o = base.options;
      mount = this.newMount({
        entry: base.entry,
        prefix: base.prefix,
        image: o.image,
        env: o.env,
        secretEnv: o.secretEnv,
        volumes: o.volumes,
        sessionId,
      });
      mount.state = 'idle'; // started by its first call
      record.sessions.set(sessionId, mount);
    }
    return mount;
  }

  /** A client session ended: its own containers go. */
  /** Session mounts being removed; close() waits for them (it no longer sees them in any record). */
  private readonly releasing = new Set<Promise<unknown>>();

  async releaseSession(sessionId: string): Promise<void> {
    const release = Promise.all(
      this.list().map(async (record) => {
        if (record.owner === sessionId) {
          record.owner = undefined;
          if (record.mount.entry.perSession) await this.recycle(record);
        }
        const mount = record.sessions.get(sessionId);
        if (!mount) return;
        record.sessions.delete(sessionId);
        await mount.remove();
      }),
    ).finally(() => this.releasing.delete(release));
    this.releasing.add(release);
    await release;
  }

  /**
   * Swaps a perSession mount's first container for a fresh one that starts on the next call: the
   * session it goes to next must not inherit the last one's state, timers or log messages.
   */
  private async recycle(record: MountRecord): Promise<void> {
    const old = record.mount;
    const fresh = this.newMount({
      entry: old.entry,
      prefix: old.prefix,
      image: old.options.image,
      env: old.options.env,
      secretEnv: old.options.secretEnv,
      volumes: record.volumes,
    });
    fresh.offer = old.offer; // its tools stay listed meanwhile
    fresh.state = 'idle';
    record.mount = fresh;
    await old.remove();
  }

  /** registry_exec: a mounted tool by its full name, for clients that do not refresh tool lists. */
  async exec(toolName: string, args: Record<string, unknown>, extra: CallExtra): Promise<CallToolResult> {
    const record = this.list().find((r) => r.toolNames.includes(toolName));
    if (!record) {
      const available = this.list().flatMap((r) => r.toolNames);
      throw new McpPodmanError(
        'NOT_FOUND',
        `No mounted tool "${toolName}". ${available.length ? `Mounted tools: ${available.slice(0, 30).join(', ')}${available.length > 30 ? ', ...' : ''}.` : 'Nothing is mounted; use registry_add first.'}`,
      );
    }
    return this.deps.tools.get(toolName)!.call(args, extra);
  }

  async remove(selector: { entryId?: string; prefix?: string }): Promise<string[]> {
    const records = this.list().filter((r) =>
      selector.prefix ? r.mount.prefix === selector.prefix : r.mount.entry.id === selector.entryId,
    );
    if (records.length === 0) {
      throw new McpPodmanError(
        'NOT_FOUND',
        `Nothing mounted for ${selector.prefix ? `prefix "${selector.prefix}"` : `entry "${selector.entryId}"`}. Use registry_status to see the mounts.`,
      );
    }
    await Promise.all(records.map((r) => this.removeRecord(r)));
    return records.map((r) => r.mount.prefix);
  }

  private async removeRecord(record: MountRecord): Promise<void> {
    this.mounts.delete(record.mount.prefix);
    this.deps.tools.remove(record.toolNames);
    this.emit('resources');
    this.emit('prompts');
    await Promise.all([record.mount.remove(), ...[...record.sessions.values()].map((m) => m.remove())]);
    record.sessions.clear();
    if (record.secrets.length)
      await deleteSecrets(await this.deps.connection.get(), record.secrets).catch(() => undefined);
  }

  /** registry_config_set: new env values (secret ones into Podman secrets), then a restart to apply them. */
  async configure(
    entryId: string,
    given: Record<string, string>,
    ctx: { signal: AbortSignal },
  ): Promise<string[]> {
    const records = this.list().filter((r) => r.mount.entry.id === entryId);
    if (records.length === 0)
      throw new McpPodmanError('NOT_FOUND', `Entry "${entryId}" is not mounted. Add it with registry_add.`);
    const podman = await this.deps.connection.get();
    const out: string[] = [];
    for (const record of records) {
      const old = record.mount;
      const current = { ...old.options.env };
      const secretEnv = { ...old.options.secretEnv };
      // Secret values already stored count as given: they are not asked for again.
      const { env, secretValues } = this.splitEnv(
        old.entry,
        { ...current, ...given },
        new Set(Object.keys(secretEnv)),
      );
      for (const [variable, value] of Object.entries(secretValues)) {
        const name = secretName(this.id, old.prefix, variable);
        this.deps.redactor.remember(value);
        if (!record.secrets.includes(name)) record.secrets.push(name);
        await putSecret(podman, name, value);
        secretEnv[variable] = name;
      }
      const mount = this.newMount({
        entry: old.entry,
        prefix: old.prefix,
        image: old.options.image,
        env,
        secretEnv,
        volumes: record.volumes,
      });
      // Swapped first, so calls meanwhile wait for the new container instead of hitting a removed one.
      record.mount = mount;
      const sessionMounts = [...record.sessions.values()];
      record.sessions.clear();
      await Promise.all([old.remove(), ...sessionMounts.map((m) => m.remove())]);
      await mount.start(ctx.signal);
      this.publish(record);
      out.push(old.prefix);
    }
    return out;
  }

  summary(record: MountRecord, activationMs?: number) {
    const { mount } = record;
    return {
      prefix: mount.prefix,
      entry: mount.entry.id,
      name: mount.entry.name,
      state: mount.state,
      container: mount.containerId?.slice(0, 12),
      uptimeSeconds: mount.uptimeSeconds,
      restarts: mount.restarts,
      lastError: mount.lastError,
      calls: mount.calls,
      errors: mount.errors,
      sessionContainers: record.sessions.size,
      tools: record.toolNames,
      toolCount: record.toolNames.length,
      resources: mount.offer.resources.length,
      resourceTemplates: mount.offer.resourceTemplates.length,
      prompts: mount.offer.prompts.length,
      collisions: record.collisions,
      rejected: record.rejected,
      server: mount.offer.serverInfo,
      permissions: permissionsOf(mount.entry, record.volumes),
      ...(activationMs !== undefined ? { activationMs } : {}),
    };
  }

  // --- resources and prompts, namespaced reversibly ---

  listResources(): Resource[] {
    return this.list().flatMap((r) =>
      r.mount.offer.resources.map((res) => ({ ...res, uri: `${r.mount.prefix}+${res.uri}` })),
    );
  }

  listResourceTemplates(): ResourceTemplate[] {
    return this.list().flatMap((r) =>
      r.mount.offer.resourceTemplates.map((t) => ({
        ...t,
        uriTemplate: `${r.mount.prefix}+${t.uriTemplate}`,
      })),
    );
  }

  async readResource(uri: string, extra: CallExtra): Promise<ReadResourceResult> {
    const plus = uri.indexOf('+');
    const record = plus > 0 ? this.mounts.get(uri.slice(0, plus)) : undefined;
    if (!record)
      throw new McpPodmanError('NOT_FOUND', `No mounted server owns resource "${uri}". Use resources/list.`);
    const inner = uri.slice(plus + 1);
    const result = await this.mountFor(record, extra.sessionId).readResource(inner, extra);
    return this.deps.redactor.scrubDeep({
      ...result,
      contents: result.contents.map((c) => ({ ...c, uri: `${record.mount.prefix}+${c.uri}` })),
    });
  }

  listPrompts(): Prompt[] {
    return this.list().flatMap((r) =>
      r.mount.offer.prompts.map((p) => ({ ...p, name: `${r.mount.prefix}_${p.name}` })),
    );
  }

  async getPrompt(
    name: string,
    args: Record<string, string> | undefined,
    extra: CallExtra,
  ): Promise<GetPromptResult> {
    const record = this.list().find(
      (r) =>
        name.startsWith(`${r.mount.prefix}_`) &&
        r.mount.offer.prompts.some((p) => `${r.mount.prefix}_${p.name}` === name),
    );
    if (!record) throw new McpPodmanError('NOT_FOUND', `No mounted prompt "${name}". Use prompts/list.`);
    return this.deps.redactor.scrubDeep(
      await this.mountFor(record, extra.sessionId).getPrompt(
        name.slice(record.mount.prefix.length + 1),
        args,
        extra,
      ),
    );
  }

  // --- lifecycle of the whole gateway ---

  /**
   * Removes containers (and their secrets) left by an earlier instance of this gateway that died
   * without cleaning up: same gateway id, same host, a process that no longer runs.
   */
  async sweepOrphans(): Promise<string[]> {
    const podman = await this.deps.connection.get();
    const containers = await podman.json<{ Id: string; Labels?: Record<string, string> | null }[]>(
      'GET',
      '/libpod/containers/json',
      {
        query: { all: true, filters: { label: [`${GATEWAY_LABELS.gateway}=${this.id}`] } },
      },
    );
    const me = ownerLabel();
    const host = me.split(':')[0];
    const removed: string[] = [];
    for (const c of containers) {
      const owner = c.Labels?.[GATEWAY_LABELS.owner] ?? '';
      const [ownerHost, pidText] = owner.split(':');
      if (owner === me || ownerHost !== host || isAlive(Number(pidText))) continue;
      await podman.call('DELETE', `/libpod/containers/${c.Id}`, {
        query: { force: true, timeout: 0 },
        okStatuses: [404],
      });
      const prefix = c.Labels?.[GATEWAY_LABELS.mount];
      if (prefix)
        await deleteSecrets(
          podman,
          await secretsWithPrefix(podman, secretName(this.id, prefix, '', Number(pidText))),
        );
      removed.push(c.Id);
    }
    if (removed.length)
      this.deps.log.info({ removed: removed.length }, 'removed containers left by a crashed gateway');
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const standby = [...this.standby.values()].flat();
    this.standby.clear();
    await Promise.all([
      ...this.list().map((r) => this.removeRecord(r).catch(() => undefined)),
      ...[...standby, ...this.warming].map((m) => m.remove().catch(() => undefined)),
      ...this.fills.values(),
      ...[...this.releasing].map((r) => r.catch(() => undefined)),
    ]);
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
