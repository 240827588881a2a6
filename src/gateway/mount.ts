import { EventEmitter } from 'node:events';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  type CallToolResult,
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  GetPromptResultSchema,
  type LoggingMessageNotification,
  LoggingMessageNotificationSchema,
  McpError,
  PromptListChangedNotificationSchema,
  ReadResourceResultSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { CallExtra, DownstreamSession } from '../core/tools.js';
import { isAbortError, isMcpPodmanError, McpPodmanError } from '../errors.js';
import type { PodmanClient } from '../podman/client.js';
import { BoundedText, demux } from '../podman/streams.js';
import { assertConfined, type Confinement } from '../tools/confinement.js';
import { AttachTransport } from './attach-transport.js';
import type { CatalogEntry } from './catalog-schema.js';
import { hardenedSpec, type ResolvedVolume } from './container-spec.js';
import {
  connectHttp,
  discover,
  EMPTY_OFFER,
  newUpstreamClient,
  type Offer,
  withOwnSignal,
} from './upstream.js';

export type MountState = 'starting' | 'ready' | 'restarting' | 'idle' | 'stopped' | 'failed' | 'removed';

export interface MountTimeouts {
  initMs: number;
  callMs: number;
  idleMs: number;
  restartBaseMs: number;
  restartMaxMs: number;
  maxRestarts: number;
}

export interface MountOptions {
  entry: CatalogEntry;
  prefix: string;
  gatewayId: string;
  image: string;
  env: Record<string, string>;
  secretEnv: Record<string, string>;
  volumes: ResolvedVolume[];
  /** What the container may get of the host; checked before each start. */
  confinement: Confinement;
  sessionId?: string;
  podman: () => Promise<PodmanClient>;
  timeouts: MountTimeouts;
  log: Logger;
}

interface MountEvents {
  /** The offer (tools, resources, prompts) changed. */
  offer: [];
  /** A logging message from the server, with the calls in flight when it came (the ones it can be about). */
  log: [{ params: LoggingMessageNotification['params']; calls: DownstreamSession[] }];
  state: [MountState];
}

/**
 * One mounted MCP server in one container. It owns that container and its connection: it starts
 * them, notices when they die (the attach stream ends, or an http server stops answering pings),
 * restarts with backoff, stops them when idle and starts them again on the next call.
 */
/** How long a container removal is retried before it is logged as left behind. */
const REMOVE_DEADLINE_MS = 15_000;

export class Mount extends EventEmitter<MountEvents> {
  readonly entry: CatalogEntry;
  readonly sessionId?: string;
  /** Mutable only for a warm standby, which gets its prefix when registry_add claims it. */
  prefix: string;
  state: MountState = 'starting';
  containerId?: string;
  containerName: string;
  startedAt?: number;
  restarts = 0;
  lastError?: string;
  offer: Offer = EMPTY_OFFER;
  calls = 0;
  errors = 0;
  private client?: Client;
  private transport?: AttachTransport | { close(): Promise<void> };
  private starting?: Promise<void>;
  private restartTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private healthTimer?: NodeJS.Timeout;
  private recentRestarts: number[] = [];
  private inFlight = 0;
  private readonly callers = new Set<DownstreamSession>();
  private stopping = false;
  /** The teardown after a crash; a call waits for it before starting the server again. */
  private tearingDown?: Promise<void>;

  constructor(readonly options: MountOptions) {
    super();
    this.entry = options.entry;
    this.prefix = options.prefix;
    this.sessionId = options.sessionId;
    // The pid keeps two gateways with the same id (two clients each starting one) apart.
    this.containerName = `mcp-podman-${options.gatewayId}-${process.pid}-${options.prefix}${options.sessionId ? `-${options.sessionId.slice(0, 8)}` : ''}`;
  }

  /** Starts the container and the session, and discovers the offer. On failure nothing is left behind. */
  start(signal?: AbortSignal): Promise<void> {
    this.starting ??= this.launch(signal).finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async launch(callerSignal?: AbortSignal): Promise<void> {
    this.stopping = false;
    this.setState(this.state === 'restarting' ? 'restarting' : 'starting');
    const podman = await this.options.podman();
    const deadline = Date.now() + this.options.timeouts.initMs;
    // Every Podman call of a start is bounded too: a stalled Podman must not hang it (or remove()) forever.
    const bound = AbortSignal.timeout(this.options.timeouts.initMs + 5000);
    const signal = callerSignal ? AbortSignal.any([callerSignal, bound]) : bound;
    const spec = hardenedSpec({ ...this.options, name: this.containerName });
    // A leftover of an earlier run under the same name would make the create fail.
    await podman
      .call('DELETE', `/libpod/containers/${this.containerName}`, {
        query: { force: true, timeout: 0 },
        okStatuses: [404],
        signal,
      })
      .catch(() => undefined);
    const created = await podman
      .json<{ Id: string }>('POST', '/libpod/containers/create', { body: spec, signal })
      .catch((err: unknown) => {
        // A 404 here can also be a missing secret or network; only a missing image means "add it again".
        if (isMcpPodmanError(err) && err.code === 'NOT_FOUND' && /image/i.test(String(err.details.podman))) {
          throw new McpPodmanError(
            'IMAGE_NOT_FOUND',
            `Image "${this.options.image}" is not present. Add the entry again to pull or build it.`,
            {
              details: err.details,
            },
          );
        }
        throw err;
      })
      .catch(async (err: unknown) => {
        // Podman may have created it before the request was cut off: remove it by its name.
        await this.removeContainer(this.containerName);
        throw err;
      });
    this.containerId = created.Id;
    try {
      await assertConfined(
        podman,
        [created.Id],
        this.options.confinement,
        `Mount ${this.prefix} may not run`,
      );
      if (this.entry.transport.type === 'stdio')
        await this.connectStdio(podman, created.Id, deadline, signal);
      else await this.connectHttpServer(podman, created.Id, deadline, signal);
      this.offer = await discover(this.client!, Math.max(1000, deadline - Date.now()));
      this.startedAt = Date.now();
      this.lastError = undefined;
      this.setState('ready');
      this.emit('offer');
      this.touch();
    } catch (err) {
      const reason = await this.failureReason(podman, err, callerSignal?.aborted ?? false);
      await this.teardown();
      this.lastError = reason.message;
      throw reason;
    }
  }

  private async connectStdio(
    podman: PodmanClient,
    id: string,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const socket = await podman.upgrade(`/libpod/containers/${id}/attach`, {
      query: { stdin: true, stdout: true, stderr: true, stream: true },
      signal,
    });
    let garbageFail: ((err: Error) => void) | undefined;
    const garbage = new Promise<never>((_, reject) => {
      garbageFail = reject;
    });
    garbage.catch(() => undefined);
    const transport = new AttachTransport(socket, {
      onGarbage: (bytes) => {
        // A server that floods stdout with non-protocol output will never answer properly.
        if (bytes > 4096 && this.state !== 'ready') garbageFail?.(new Error('garbage on stdout'));
      },
    });
    this.transport = transport;
    // Set before connect: the SDK chains its own close handling after ours.
    transport.onclose = () => this.onConnectionLost('the server process exited');
    const client = newUpstreamClient();
    this.wire(client);
    await podman.call('POST', `/libpod/containers/${id}/start`, { okStatuses: [304], signal });
    const timeout = Math.max(500, deadline - Date.now());
    await Promise.race([
      withOwnSignal(signal, (own) => client.connect(transport, { timeout, signal: own })),
      garbage,
    ]);
    this.client = client;
  }

  private async connectHttpServer(
    podman: PodmanClient,
    id: string,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<void> {
    await podman.call('POST', `/libpod/containers/${id}/start`, { okStatuses: [304], signal });
    const info = await podman.json<{
      NetworkSettings?: { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> };
    }>('GET', `/libpod/containers/${id}/json`, { signal });
    const transport = this.entry.transport as { port: number; path: string };
    const binding = info.NetworkSettings?.Ports?.[`${transport.port}/tcp`]?.[0];
    if (!binding?.HostPort)
      throw new McpPodmanError('PODMAN_ERROR', 'Podman did not publish the server port.');
    const url = new URL(`http://127.0.0.1:${binding.HostPort}${transport.path}`);
    const { client, transport: http } = await connectHttp({
      url,
      deadline,
      signal,
      setup: (c) => this.wire(c),
    });
    this.client = client;
    this.transport = http;
    this.healthTimer = setInterval(() => {
      void this.checkHealth();
    }, 5000);
    this.healthTimer.unref();
  }

  /** Periodic liveness for http servers: an MCP ping; two missed answers count as a crash. */
  private missedPings = 0;
  private async checkHealth(): Promise<void> {
    if (this.state !== 'ready' || !this.client) return;
    try {
      await this.client.ping({ timeout: 3000 });
      this.missedPings = 0;
    } catch {
      if (++this.missedPings >= 2) this.onConnectionLost('the server stopped answering pings');
    }
  }

  /** Routes what the server sends us: list changes, log messages, and requests for the client. */
  private wire(client: Client): void {
    const refresh = () => {
      if (!this.client || this.state !== 'ready') return;
      discover(this.client, this.options.timeouts.initMs)
        .then((offer) => {
          this.offer = offer;
          this.emit('offer');
        })
        .catch((err) => this.options.log.warn({ err, mount: this.prefix }, 'refreshing the offer failed'));
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, refresh);
    client.setNotificationHandler(ResourceListChangedNotificationSchema, refresh);
    client.setNotificationHandler(PromptListChangedNotificationSchema, refresh);
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      // Taken now: a message belongs to a call still in flight, never to one that starts later.
      this.emit('log', { params: n.params, calls: [...this.callers] });
    });
    client.setRequestHandler(CreateMessageRequestSchema, async (request, extra) => {
      const session = this.callerWith('sampling');
      if (!session) throw new McpError(-32601, 'No connected client supports sampling.');
      return session.createMessage(request.params, { signal: extra.signal });
    });
    client.setRequestHandler(ElicitRequestSchema, async (request, extra) => {
      const session = this.callerWith('elicitation');
      if (!session) throw new McpError(-32601, 'No connected client supports elicitation.');
      return session.elicitInput(request.params, { signal: extra.signal });
    });
  }

  /** A client session that can answer a server's request: one with a call in flight here, preferably. */
  private callerWith(capability: 'sampling' | 'elicitation'): DownstreamSession | undefined {
    for (const session of this.callers) if (session.supports(capability)) return session;
    return undefined;
  }

  /** The last stderr lines of the container's log (bounded in size and time), or undefined. */
  private async loggedStderr(podman: PodmanClient): Promise<string | undefined> {
    if (!this.containerId) return undefined;
    try {
      const res = await podman.request('GET', `/libpod/containers/${this.containerId}/logs`, {
        query: { stdout: false, stderr: true, tail: '5' },
        signal: AbortSignal.timeout(2000),
      });
      const text = new BoundedText(8 * 1024, 'tail');
      for await (const frame of demux(res.body)) text.push(frame.data.toString('utf8'));
      return text.toString().trim() || undefined;
    } catch {
      return undefined;
    }
  }

  private async failureReason(
    podman: PodmanClient,
    err: unknown,
    callerAborted: boolean,
  ): Promise<McpPodmanError> {
    const transport = this.transport instanceof AttachTransport ? this.transport : undefined;
    // A server that dies at once can fail our first write (EPIPE) before its last words reach us:
    // give its stream a moment to end, so the error says why it died.
    if (transport && !callerAborted)
      await Promise.race([transport.ended, new Promise((r) => setTimeout(r, 1500).unref())]);
    // Podman's attach can miss what a container wrote just before it exited; its log has it.
    const said = transport?.stderr.toString().trim() || (await this.loggedStderr(podman));
    const stderr = said?.split('\n').slice(-5).join(' | ');
    let exited = '';
    if (this.containerId) {
      const state = await podman
        .json<{ State?: { Status?: string; ExitCode?: number; Error?: string } }>(
          'GET',
          `/libpod/containers/${this.containerId}/json`,
        )
        .catch(() => undefined);
      if (state?.State?.Status === 'exited')
        exited = ` The container exited with code ${state.State.ExitCode}.`;
      if (state?.State?.Error) exited += ` Podman: ${state.State.Error}.`;
    }
    const aborted =
      isAbortError(err) ||
      (err as { name?: string })?.name === 'AbortError' ||
      (isMcpPodmanError(err) && err.code === 'CANCELLED');
    if (aborted && callerAborted)
      return new McpPodmanError('CANCELLED', `Starting ${this.entry.name} was cancelled.`);
    if (aborted) {
      return new McpPodmanError(
        'TIMEOUT',
        `Podman did not finish starting ${this.entry.name} in time (${this.options.timeouts.initMs} ms and a grace period). Check that Podman answers (podman_info).`,
      );
    }
    if (isMcpPodmanError(err) && err.code !== 'INTERNAL_ERROR') return err;
    if (transport?.garbage.length) {
      return new McpPodmanError(
        'UPSTREAM_ERROR',
        `${this.entry.name} wrote output that is not MCP JSON-RPC on stdout (first line: ${JSON.stringify(transport.garbage[0])}). ` +
          'A stdio MCP server must write only protocol messages to stdout; check the entry command and args.',
        { details: { garbage: transport.garbage, stderr } },
      );
    }
    const timedOut = err instanceof McpError && err.code === -32001;
    return new McpPodmanError(
      timedOut ? 'TIMEOUT' : 'UPSTREAM_ERROR',
      timedOut
        ? `${this.entry.name} did not answer initialize within ${this.options.timeouts.initMs} ms.${exited}${stderr ? ` Its stderr: ${stderr}` : ''} Check that the image runs an MCP server on ${this.entry.transport.type}.`
        : `${this.entry.name} failed to start: ${(err as Error)?.message ?? String(err)}.${exited}${stderr ? ` Its stderr: ${stderr}` : ''}`,
      { cause: err, details: { stderr } },
    );
  }

  /** Makes sure the server is up: starts an idle mount, waits for a restart in progress. */
  private async ready(signal: AbortSignal): Promise<Client> {
    this.assertWanted();
    if (this.state === 'failed') {
      throw new McpPodmanError(
        'UPSTREAM_ERROR',
        `${this.entry.name} (${this.prefix}) keeps failing and was given up on: ${this.lastError}. Fix the entry, then registry_remove and registry_add it.`,
      );
    }
    if (this.state === 'idle' || this.state === 'restarting' || this.state === 'starting') {
      await raceSignal(this.relaunch(), signal);
    }
    if (!this.client)
      throw new McpPodmanError(
        'UNAVAILABLE',
        `${this.entry.name} (${this.prefix}) is not connected. Try again shortly.`,
      );
    return this.client;
  }

  /** Throws when the operator stopped or removed the mount: nothing may start it then. */
  private assertWanted(): void {
    if (this.state === 'removed')
      throw new McpPodmanError('NOT_FOUND', `${this.prefix} was removed. Add it again with registry_add.`);
    if (this.state === 'stopped') {
      throw new McpPodmanError(
        'UNAVAILABLE',
        `${this.entry.name} (${this.prefix}) was stopped by the operator. Start it again (POST /containers/${this.prefix}/start) to use its tools.`,
      );
    }
  }

  private relaunching?: Promise<void>;

  /**
   * One shared (re)start for every call that needs the server: it does not follow any one caller's
   * signal (a caller that gives up must not fail the others), and a failure schedules one restart.
   */
  private relaunch(): Promise<void> {
    this.relaunching ??= (async () => {
      await this.tearingDown;
      clearTimeout(this.restartTimer);
      try {
        // A stop or remove may have come while the last container was still being torn down.
        this.assertWanted();
        await this.start();
      } catch (err) {
        if (this.state === 'stopped' || this.state === 'removed') throw err;
        this.scheduleRestart((err as Error).message);
        throw new McpPodmanError(
          'UNAVAILABLE',
          `${this.entry.name} (${this.prefix}) could not be started: ${(err as Error).message}. It is retried in the background; try again shortly.`,
        );
      } finally {
        this.relaunching = undefined;
      }
    })();
    return this.relaunching;
  }

  /** Runs one request against the server with the mount's timeout, progress and cancellation. */
  private async run<T>(
    extra: CallExtra,
    what: string,
    fn: (client: Client, opts: RequestOpts) => Promise<T>,
  ): Promise<T> {
    const client = await this.ready(extra.signal);
    this.inFlight++;
    this.calls++;
    if (extra.session) this.callers.add(extra.session);
    clearTimeout(this.idleTimer);
    // Progress is forwarded in order, and the result only after the last of it.
    let forwarded: Promise<void> = Promise.resolve();
    try {
      const result = await withOwnSignal(extra.signal, (signal) =>
        fn(client, {
          signal,
          timeout: this.options.timeouts.callMs,
          resetTimeoutOnProgress: true,
          onprogress:
            extra.progressToken === undefined
              ? undefined
              : (p) => {
                  forwarded = forwarded.then(() => extra.sendProgress(p.progress, p.total, p.message));
                },
        }),
      );
      await forwarded;
      return result;
    } catch (err) {
      this.errors++;
      throw this.callError(err, what, extra.signal);
    } finally {
      this.inFlight--;
      if (extra.session) this.callers.delete(extra.session);
      this.touch();
    }
  }

  callTool(name: string, args: Record<string, unknown>, extra: CallExtra): Promise<CallToolResult> {
    return this.run(extra, `tool ${name}`, (client, opts) =>
      client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema, opts),
    );
  }

  readResource(uri: string, extra: CallExtra) {
    return this.run(extra, `resource ${uri}`, (client, opts) =>
      client.request({ method: 'resources/read', params: { uri } }, ReadResourceResultSchema, opts),
    );
  }

  getPrompt(name: string, args: Record<string, string> | undefined, extra: CallExtra) {
    return this.run(extra, `prompt ${name}`, (client, opts) =>
      client.request(
        { method: 'prompts/get', params: { name, arguments: args } },
        GetPromptResultSchema,
        opts,
      ),
    );
  }

  private callError(err: unknown, what: string, signal: AbortSignal): McpPodmanError {
    if (isMcpPodmanError(err)) return err;
    if (signal.aborted)
      return new McpPodmanError('CANCELLED', `The call to ${this.prefix} ${what} was cancelled.`);
    if (err instanceof McpError) {
      if (err.code === -32001) {
        return new McpPodmanError(
          'TIMEOUT',
          `${this.entry.name} did not answer ${what} within ${this.options.timeouts.callMs} ms.`,
        );
      }
      if (err.code === -32000 && /closed/i.test(err.message)) {
        return new McpPodmanError(
          'UPSTREAM_ERROR',
          `${this.entry.name} (${this.prefix}) stopped during ${what}; it is being restarted. Call again in a moment.`,
        );
      }
      return new McpPodmanError(
        'UPSTREAM_ERROR',
        `${this.entry.name} answered ${what} with an error: ${err.message}`,
        {
          details: { upstreamCode: err.code },
        },
      );
    }
    return new McpPodmanError(
      'UPSTREAM_ERROR',
      `${this.entry.name} failed on ${what}: ${(err as Error)?.message ?? String(err)}`,
    );
  }

  /** A warm standby becomes a mount under its prefix; its idle clock starts now. */
  claim(prefix: string, idleMs: number): void {
    this.prefix = prefix;
    this.options.timeouts.idleMs = idleMs;
    this.touch();
  }

  /** Restarts the idle timer; an idle mount is stopped and started again on its next call. */
  private touch(): void {
    clearTimeout(this.idleTimer);
    if (this.options.timeouts.idleMs <= 0 || this.state !== 'ready') return;
    this.idleTimer = setTimeout(() => {
      if (this.inFlight === 0 && this.state === 'ready') {
        this.options.log.info({ mount: this.prefix }, 'stopping idle mount');
        // Idle at once: a call arriving during the teardown waits for it, then starts the server again.
        this.setState('idle');
        this.tearingDown = this.teardown();
      }
    }, this.options.timeouts.idleMs);
    this.idleTimer.unref();
  }

  private onConnectionLost(reason: string): void {
    if (this.stopping || this.state !== 'ready') return;
    this.options.log.warn({ mount: this.prefix, reason }, 'mounted server died; restarting');
    this.lastError = reason;
    this.setState('restarting');
    this.tearingDown = this.teardown();
    void this.tearingDown.then(() => this.scheduleRestart(reason));
  }

  private scheduleRestart(reason: string): void {
    if (this.state === 'removed') return;
    const now = Date.now();
    this.recentRestarts = this.recentRestarts.filter((t) => now - t < 60_000);
    if (this.recentRestarts.length >= this.options.timeouts.maxRestarts) {
      this.lastError = `${reason} (gave up after ${this.recentRestarts.length} restarts in a minute)`;
      this.setState('failed');
      return;
    }
    this.recentRestarts.push(now);
    this.restarts++;
    this.setState('restarting');
    const { restartBaseMs, restartMaxMs } = this.options.timeouts;
    const delay = Math.min(restartMaxMs, restartBaseMs * 2 ** (this.recentRestarts.length - 1));
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      // A call may have restarted it already (ready() does not wait for the backoff).
      if (this.state !== 'restarting' || this.starting) return;
      this.start().catch((err) => this.scheduleRestart((err as Error).message));
    }, delay);
    this.restartTimer.unref();
  }

  /** Closes the session and removes the container (force, no grace: the server keeps no state we need). */
  private async teardown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.healthTimer);
    clearTimeout(this.idleTimer);
    const client = this.client;
    const transport = this.transport;
    const id = this.containerId;
    this.client = undefined;
    this.transport = undefined;
    this.containerId = undefined;
    // The container goes first: closing its stdin first makes the server exit on its own, and a
    // delete that meets that exit is refused ("state improper"). Killed, it just ends the stream.
    if (id) await this.removeContainer(id);
    await Promise.all([client?.close().catch(() => undefined), transport?.close().catch(() => undefined)]);
  }

  /**
   * Force-removes a container, retrying for a while: Podman 4 can refuse a delete that meets a
   * container exiting by itself ("could not be stopped ... state improper"), and on a loaded host
   * its cleanup takes a moment; the next try succeeds.
   */
  private async removeContainer(id: string): Promise<void> {
    const deadline = Date.now() + REMOVE_DEADLINE_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        const podman = await this.options.podman();
        await podman.call('DELETE', `/libpod/containers/${id}`, {
          query: { force: true, timeout: 0 },
          okStatuses: [404],
          signal: AbortSignal.timeout(10_000),
        });
        return;
      } catch (err) {
        if (Date.now() >= deadline) {
          this.options.log.warn({ err, id }, 'could not remove a mount container');
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(1000, 100 * attempt)));
      }
    }
  }

  /** Stops the server (its container goes) but keeps the mount and its cached tools until start(). */
  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    await this.starting?.catch(() => undefined);
    this.setState('stopped');
    await this.relaunching?.catch(() => undefined);
    await this.teardown();
  }

  /** Starts a stopped mount again. */
  async resume(): Promise<void> {
    if (this.state !== 'stopped') return;
    this.setState('idle', true);
    await this.relaunch();
  }

  /** Removes the mount for good. */
  async remove(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.setState('removed');
    await this.starting?.catch(() => undefined);
    await this.relaunching?.catch(() => undefined);
    await this.teardown();
  }

  private setState(state: MountState, resuming = false): void {
    if (this.state === 'removed' && state !== 'removed') return;
    // Only resume() leaves 'stopped': a start under way when the operator stopped the mount must not revive it.
    if (this.state === 'stopped' && state !== 'removed' && !resuming) return;
    this.state = state;
    this.emit('state', state);
  }

  get uptimeSeconds(): number | undefined {
    return this.state === 'ready' && this.startedAt
      ? Math.round((Date.now() - this.startedAt) / 1000)
      : undefined;
  }
}

type RequestOpts = {
  signal: AbortSignal;
  timeout: number;
  resetTimeoutOnProgress: boolean;
  onprogress?: (p: { progress: number; total?: number; message?: string }) => void;
};

/** Waits for a shared promise, but lets one caller stop waiting when its own signal aborts. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new McpPodmanError('CANCELLED', 'The call was cancelled.'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new McpPodmanError('CANCELLED', 'The call was cancelled.'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
