import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Logger } from 'pino';
import { McpPodmanError } from '../errors.js';
import { describeEndpoint, PodmanClient, type PodmanEndpoint } from './client.js';

export interface ConnectionOptions {
  /** --socket-path */
  socketPath?: string;
  /** --url (unix:// or tcp://) */
  url?: string;
  /** Start `podman system service` on a private socket when nothing answers. */
  embedded: boolean;
  /** Environment to read CONTAINER_HOST and XDG_RUNTIME_DIR from. */
  env: NodeJS.ProcessEnv;
  log: Logger;
  pingTimeoutMs?: number;
}

export interface Candidate {
  endpoint: PodmanEndpoint;
  source: string;
}

/** Where to look for Podman, in the documented order. An explicit flag is the only candidate. */
export function candidateEndpoints(
  options: Pick<ConnectionOptions, 'socketPath' | 'url' | 'env'>,
): Candidate[] {
  if (options.socketPath)
    return [{ endpoint: { kind: 'unix', socketPath: options.socketPath }, source: '--socket-path' }];
  if (options.url) return [{ endpoint: parseEndpointUrl(options.url), source: '--url' }];
  const out: Candidate[] = [];
  const host = options.env.CONTAINER_HOST;
  if (host) out.push({ endpoint: parseEndpointUrl(host), source: 'CONTAINER_HOST' });
  out.push({ endpoint: { kind: 'unix', socketPath: '/run/podman/podman.sock' }, source: 'rootful socket' });
  const runtimeDir = options.env.XDG_RUNTIME_DIR;
  if (runtimeDir) {
    out.push({
      endpoint: { kind: 'unix', socketPath: join(runtimeDir, 'podman', 'podman.sock') },
      source: 'rootless socket',
    });
  }
  return out;
}

export function parseEndpointUrl(url: string): PodmanEndpoint {
  if (url.startsWith('unix://')) return { kind: 'unix', socketPath: url.slice('unix://'.length) };
  if (url.startsWith('tcp://') || url.startsWith('http://'))
    return { kind: 'tcp', url: url.replace(/^tcp:/, 'http:') };
  if (url.startsWith('/')) return { kind: 'unix', socketPath: url };
  throw new McpPodmanError(
    'INVALID_PARAMS',
    `Cannot use Podman URL "${url}": give unix:///path/to/podman.sock or tcp://host:port.`,
  );
}

/**
 * Finds a Podman that answers and keeps the client. Until one is found every call fails with
 * PODMAN_NOT_CONNECTED; each call tries again, so a service started later is picked up.
 * When it started an embedded `podman system service`, it owns that process and stops it on close.
 */
export class PodmanConnection {
  private client?: PodmanClient;
  private connecting?: Promise<PodmanClient>;
  private embedded?: { child: ChildProcess; dir: string; onExit: () => void };
  private source = '';
  private apiVersion = '';
  private closed = false;

  constructor(private readonly options: ConnectionOptions) {}

  get info(): { endpoint?: string; source: string; apiVersion: string; embedded: boolean } {
    return {
      endpoint: this.client ? describeEndpoint(this.client.endpoint) : undefined,
      source: this.source,
      apiVersion: this.apiVersion,
      embedded: Boolean(this.embedded),
    };
  }

  /** The connected client; discovers (and maybe starts) Podman on first use. */
  async get(): Promise<PodmanClient> {
    if (this.client) return this.client;
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Whether Podman answers right now (for /health). */
  async healthy(): Promise<boolean> {
    try {
      const client = await this.get();
      await client.ping(AbortSignal.timeout(this.options.pingTimeoutMs ?? 2000));
      return true;
    } catch {
      return false;
    }
  }

  private async connect(): Promise<PodmanClient> {
    if (this.closed) throw new McpPodmanError('PODMAN_NOT_CONNECTED', 'mcp-podman is shutting down.');
    const tried: string[] = [];
    for (const candidate of candidateEndpoints(this.options)) {
      const client = await this.tryEndpoint(candidate, tried);
      if (client) return client;
    }
    const explicit = Boolean(this.options.socketPath || this.options.url);
    if (!explicit && this.options.embedded && !this.embedded) {
      const podman = findOnPath('podman', this.options.env.PATH ?? '');
      if (podman) {
        const endpoint = await this.startEmbedded(podman, tried);
        const client = endpoint && (await this.tryEndpoint({ endpoint, source: 'embedded service' }, tried));
        if (client) return client;
      } else {
        tried.push('embedded service: no podman binary on PATH');
      }
    }
    throw new McpPodmanError(
      'PODMAN_NOT_CONNECTED',
      `No Podman answered (tried: ${tried.join('; ')}). Fix: install Podman and start its API service ` +
        '(`systemctl --user enable --now podman.socket`, or `podman system service --time=0 &`), ' +
        'or point mcp-podman at a socket with --socket-path /path/podman.sock or CONTAINER_HOST=unix:///path/podman.sock.',
      { details: { tried } },
    );
  }

  private async tryEndpoint(candidate: Candidate, tried: string[]): Promise<PodmanClient | undefined> {
    const where = describeEndpoint(candidate.endpoint);
    if (candidate.endpoint.kind === 'unix' && !existsSync(candidate.endpoint.socketPath)) {
      tried.push(`${candidate.source} ${where}: no such socket`);
      return undefined;
    }
    const client = new PodmanClient(candidate.endpoint);
    try {
      this.apiVersion = await client.ping(AbortSignal.timeout(this.options.pingTimeoutMs ?? 3000));
      this.client = client;
      this.source = candidate.source;
      this.options.log.info(
        { endpoint: where, source: candidate.source, api: this.apiVersion },
        'connected to Podman',
      );
      return client;
    } catch (err) {
      tried.push(
        `${candidate.source} ${where}: ${(err as Error).message.split('(')[1]?.split(')')[0] ?? 'no answer'}`,
      );
      await client.close();
      return undefined;
    }
  }

  private async startEmbedded(podman: string, tried: string[]): Promise<PodmanEndpoint | undefined> {
    const dir = await mkdtemp(join(tmpdir(), 'mcp-podman-'));
    if (this.closed) {
      // close() ran while the temp dir was being made: starting a service now would orphan it.
      await rm(dir, { recursive: true, force: true });
      return undefined;
    }
    const socketPath = join(dir, 'podman.sock');
    const child = spawn(podman, ['system', 'service', '--time=0', `unix://${socketPath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: this.options.env,
    });
    // However this process ends (a forced exit after a slow shutdown included), the service it
    // started must not outlive it: --time=0 would keep it running for good.
    const onExit = () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', onExit);
    this.embedded = { child, dir, onExit };
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    child.on('exit', (code) => {
      if (this.embedded?.child === child && !this.closed) {
        this.options.log.warn({ code, stderr: stderr.slice(-500) }, 'embedded podman service exited');
        this.embedded = undefined;
        process.off('exit', onExit);
        void rm(dir, { recursive: true, force: true });
        void this.client?.close().catch(() => undefined);
        this.client = undefined;
      }
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      if (existsSync(socketPath)) {
        this.options.log.info({ socketPath, pid: child.pid }, 'started embedded podman system service');
        return { kind: 'unix', socketPath };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    tried.push(`embedded service: did not come up (${stderr.trim().slice(-300) || 'no output'})`);
    await this.stopEmbedded();
    return undefined;
  }

  private async stopEmbedded(): Promise<void> {
    const embedded = this.embedded;
    this.embedded = undefined;
    if (!embedded) return;
    const { child, dir, onExit } = embedded;
    process.off('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.close();
    this.client = undefined;
    await this.stopEmbedded();
  }
}

export function findOnPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
