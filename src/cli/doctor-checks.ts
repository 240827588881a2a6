import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { isMcpPodmanError } from '../errors.js';
import { imageExists } from '../gateway/images.js';
import { describeEndpoint, PodmanClient } from '../podman/client.js';
import { type Candidate, candidateEndpoints, findOnPath, PodmanConnection } from '../podman/connection.js';
import { createLogger } from '../server/app.js';
import { registryHost } from '../tools/registry-credentials.js';
import { assertSafeBind } from '../transport/guards.js';
import { QUADLET_GENERATORS, quadletAvailable } from './install.js';

export type Status = 'ok' | 'warn' | 'fail' | 'skip';

/** What one check found; every warn and fail carries a fix the user can act on. */
export interface Outcome {
  status: Status;
  finding: string;
  fix?: string;
}

/** The part of GET /libpod/info the checks read. */
interface PodmanInfo {
  host?: {
    cgroupManager?: string;
    cgroupVersion?: string;
    ociRuntime?: { name?: string };
    security?: { rootless?: boolean; selinuxEnabled?: boolean };
  };
}

interface PodmanVersion {
  Version?: string;
  ApiVersion?: string;
  Components?: { Name: string; Details?: { APIVersion?: string } }[];
}

export interface DoctorContext {
  config: Config;
  env: NodeJS.ProcessEnv;
  /** Set once the Podman check found one that answers; the checks after it read Podman from here. */
  podman?: {
    client: PodmanClient;
    /** A unix socket: Podman runs on this machine, so local files describe its host. */
    local: boolean;
    info(signal: AbortSignal): Promise<PodmanInfo>;
    version(signal: AbortSignal): Promise<PodmanVersion>;
  };
  /** Closes the client, and stops an embedded service the Podman check started. */
  release?: () => Promise<void>;
}

/** Why a check could not run: it needs Podman, and none answered. */
const NO_PODMAN: Outcome = { status: 'skip', finding: 'needs Podman, which did not answer' };

const PING_TIMEOUT_MS = 3000;

function useClient(ctx: DoctorContext, client: PodmanClient, release: () => Promise<void>): void {
  const memo = <T>(path: string) => {
    let answer: Promise<T> | undefined;
    return (signal: AbortSignal) => (answer ??= client.json<T>('GET', path, { signal }));
  };
  ctx.podman = {
    client,
    local: client.endpoint.kind === 'unix',
    info: memo<PodmanInfo>('/libpod/info'),
    version: memo<PodmanVersion>('/libpod/version'),
  };
  ctx.release = release;
}

/** Pings one candidate; returns the client and API version, or why it did not answer. */
async function probe(
  candidate: Candidate,
  signal: AbortSignal,
): Promise<{ client: PodmanClient; api: string } | { reason: string }> {
  if (candidate.endpoint.kind === 'unix' && !existsSync(candidate.endpoint.socketPath))
    return { reason: 'no such socket' };
  const client = new PodmanClient(candidate.endpoint, { connections: 2 });
  try {
    const api = await client.ping(AbortSignal.any([signal, AbortSignal.timeout(PING_TIMEOUT_MS)]));
    return { client, api };
  } catch (err) {
    await client.close();
    if (isMcpPodmanError(err) && err.code === 'CANCELLED')
      return { reason: `no answer within ${PING_TIMEOUT_MS / 1000} s` };
    const code = ((err as Error).cause as { code?: string } | undefined)?.code;
    return { reason: code ?? (err as Error).message };
  }
}

/** How to get a Podman API socket that stays up, for the user running this. */
function startServiceFix(config: Config): string {
  const explicit = config.podman.socketPath ?? config.podman.url;
  if (explicit) {
    const url = explicit.startsWith('/') ? `unix://${explicit}` : explicit;
    return `start a service there: \`podman system service --time=0 ${url} &\`; or drop --socket-path/--url so mcp-podman looks in the usual places`;
  }
  if (process.getuid?.() === 0)
    return '`systemctl enable --now podman.socket`, or without systemd `podman system service --time=0 unix:///run/podman/podman.sock &`';
  return '`systemctl --user enable --now podman.socket`, or without systemd `podman system service --time=0 unix://$XDG_RUNTIME_DIR/podman/podman.sock &`';
}

/**
 * Podman reachable, looked for in the order `serve` uses. When no socket answers, `serve` would
 * start its own service: doctor does the same (so the other checks can run) and says so.
 */
export async function checkPodman(ctx: DoctorContext, signal: AbortSignal): Promise<Outcome> {
  const { podman } = ctx.config;
  const tried: string[] = [];
  let candidates: Candidate[];
  try {
    candidates = candidateEndpoints({ socketPath: podman.socketPath, url: podman.url, env: ctx.env });
  } catch (err) {
    return {
      status: 'fail',
      finding: (err as Error).message,
      fix: 'give --url unix:///path/to/podman.sock or tcp://host:port (or CONTAINER_HOST in that form)',
    };
  }
  for (const candidate of candidates) {
    const where = `${candidate.source} ${describeEndpoint(candidate.endpoint)}`;
    const result = await probe(candidate, signal);
    if ('client' in result) {
      useClient(ctx, result.client, () => result.client.close());
      return {
        status: 'ok',
        finding: `${where} answered (libpod API ${result.api})${await mode(ctx, signal)}`,
      };
    }
    tried.push(`${where}: ${result.reason}`);
  }
  const explicit = Boolean(podman.socketPath || podman.url);
  const cli = findOnPath('podman', ctx.env.PATH ?? '');
  const install = cli ? '' : 'install Podman (`scripts/install-podman.sh` on Debian/Ubuntu), then ';
  if (explicit || !podman.embedded || !cli) {
    const why = explicit
      ? ''
      : !podman.embedded
        ? ' `serve` would not start its own service either (--no-embedded).'
        : ' The podman CLI is not on PATH, so `serve` cannot start its own service.';
    return {
      status: 'fail',
      finding: `No Podman answered (${tried.join('; ')}).${why}`,
      fix: install + startServiceFix(ctx.config),
    };
  }
  // Exactly what `serve` would do next: its own `podman system service` on a private socket.
  const connection = new PodmanConnection({ embedded: true, env: ctx.env, log: createLogger('silent') });
  signal.addEventListener('abort', () => void connection.close(), { once: true });
  try {
    useClient(ctx, await connection.get(), () => connection.close());
  } catch (err) {
    await connection.close();
    return {
      status: 'fail',
      finding: `No Podman answered, and an embedded service did not come up: ${(err as Error).message.split('. Fix:')[0]}`,
      fix: startServiceFix(ctx.config),
    };
  }
  return {
    status: 'warn',
    finding:
      `no socket answered (${tried.join('; ')}); \`serve\` then starts its own \`podman system service\`, ` +
      `which lives only as long as the server (doctor started one: it answered${await mode(ctx, signal)})`,
    fix: `for a service that stays up: ${startServiceFix(ctx.config)}`,
  };
}

async function mode(ctx: DoctorContext, signal: AbortSignal): Promise<string> {
  // It answered the ping: an info that fails here is reported by the checks that need it.
  const info = await ctx.podman?.info(signal).catch(() => undefined);
  if (!info) return '';
  return info.host?.security?.rootless ? ', rootless' : ', rootful';
}

/** "4.3.1" -> [4, 3]; anything unreadable counts as 0. */
function majorMinor(version: string | undefined): [number, number] {
  const [major = 0, minor = 0] = (version ?? '').split('.').map((n) => Number.parseInt(n, 10) || 0);
  return [major, minor];
}

function atLeast(version: string | undefined, major: number, minor: number): boolean {
  const [a, b] = majorMinor(version);
  return a > major || (a === major && b >= minor);
}

/** The libpod API mcp-podman speaks is 4.0; features past it, by version. */
export async function checkVersion(ctx: DoctorContext, signal: AbortSignal): Promise<Outcome> {
  if (!ctx.podman) return NO_PODMAN;
  const v = await ctx.podman.version(signal);
  const engine = v.Components?.find((c) => c.Name === 'Podman Engine');
  const api = engine?.Details?.APIVersion ?? v.Version;
  const found = `Podman ${v.Version ?? 'of unknown version'} (libpod API ${api ?? 'unknown'})`;
  if (!atLeast(api, 4, 0))
    return {
      status: 'fail',
      finding: `${found}: mcp-podman needs the libpod API 4.0 or newer`,
      fix: 'upgrade Podman to 4.0 or newer (your distribution’s podman package, or scripts/install-podman.sh)',
    };
  const quadlet = atLeast(v.Version, 4, 4)
    ? 'Quadlet units (4.4+) supported'
    : 'no Quadlet before 4.4: `install --systemd` writes a plain unit instead';
  return { status: 'ok', finding: `${found}; ${quadlet}` };
}

const RUNC_DROP_IN = '[engine] runtime = "runc" in /etc/containers/containers.conf.d/50-mcp-podman.conf';

/** OCI runtime and cgroups: crun on a v1/hybrid tree cannot start containers; rootless v1 ignores limits. */
export async function checkRuntime(ctx: DoctorContext, signal: AbortSignal): Promise<Outcome> {
  if (!ctx.podman) return NO_PODMAN;
  const host = (await ctx.podman.info(signal)).host ?? {};
  const runtime = host.ociRuntime?.name ?? 'unknown';
  const cgroups = host.cgroupVersion ?? 'unknown';
  const found = `runtime ${runtime}, cgroups ${cgroups} (manager ${host.cgroupManager ?? 'unknown'})`;
  if (runtime === 'crun' && cgroups === 'v1')
    return {
      status: 'warn',
      finding: `${found}: crun fails on a v1 or hybrid cgroup tree ("cgroups in hybrid mode not supported")`,
      fix: `install runc and set ${RUNC_DROP_IN} (scripts/install-podman.sh writes it when a plain podman run fails)`,
    };
  if (host.security?.rootless && cgroups === 'v1')
    return {
      status: 'warn',
      finding: `${found}: rootless Podman on cgroups v1 ignores memory, CPU and pids limits, which the gateway sets on every server`,
      fix: 'boot with cgroups v2 (kernel argument systemd.unified_cgroup_hierarchy=1), or use rootful Podman',
    };
  return { status: 'ok', finding: found };
}

/** Podman's default nofile=1048576 cannot be set without CAP_SYS_RESOURCE (sandboxes, some CI). */
export async function checkRlimits(ctx: DoctorContext, signal: AbortSignal): Promise<Outcome> {
  if (!ctx.podman) return NO_PODMAN;
  if (!ctx.podman.local) return { status: 'skip', finding: 'Podman is on another machine' };
  if ((await ctx.podman.info(signal)).host?.security?.rootless)
    return { status: 'ok', finding: 'rootless Podman keeps its rlimits within your own limits' };
  if (await hasCapSysResource())
    return { status: 'ok', finding: 'CAP_SYS_RESOURCE is held, so Podman can set its default rlimits' };
  const pinned = await ulimitsPinnedIn(ctx.env);
  if (pinned)
    return { status: 'ok', finding: `no CAP_SYS_RESOURCE; default_ulimits pins nofile in ${pinned}` };
  return {
    status: 'warn',
    finding:
      'no CAP_SYS_RESOURCE here: containers fail with "setrlimit ... Operation not permitted" on Podman’s default nofile',
    fix: 'pin the limits: [containers] default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"] in /etc/containers/containers.conf.d/50-mcp-podman.conf',
  };
}

async function hasCapSysResource(): Promise<boolean> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const hex = /^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1];
    return hex !== undefined && (BigInt(`0x${hex}`) & (1n << 24n)) !== 0n;
  } catch {
    return true; // Not Linux's /proc: nothing to say.
  }
}

/** The containers.conf file (of those Podman reads) that sets default_ulimits with nofile, if any. */
async function ulimitsPinnedIn(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const home = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  const files: string[] = [];
  for (const base of ['/usr/share/containers', '/etc/containers', join(home, 'containers')]) {
    files.push(join(base, 'containers.conf'));
    const dropIns = join(base, 'containers.conf.d');
    const names = await readdir(dropIns).catch(() => [] as string[]);
    files.push(...names.filter((n) => n.endsWith('.conf')).map((n) => join(dropIns, n)));
  }
  if (env.CONTAINERS_CONF) files.push(env.CONTAINERS_CONF);
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (/^\s*default_ulimits\s*=.*nofile=/m.test(text)) return file;
  }
  return undefined;
}

/** SELinux: reported, with what it means for the service unit `install` writes. */
export async function checkSelinux(ctx: DoctorContext, signal: AbortSignal): Promise<Outcome> {
  if (!ctx.podman) return NO_PODMAN;
  const enabled = (await ctx.podman.info(signal)).host?.security?.selinuxEnabled;
  return {
    status: 'ok',
    finding: enabled
      ? 'SELinux enabled: containers stay confined; where it enforces, the unit `install` writes runs the mcp-podman container alone unlabelled (SecurityLabelDisable=true), since it must reach the Podman socket'
      : 'SELinux not enabled: the unit `install` writes keeps its default labels',
  };
}

/** The base image npm catalog entries are built on, present in Podman's store. */
export async function checkBaseImage(ctx: DoctorContext): Promise<Outcome> {
  if (!ctx.podman) return NO_PODMAN;
  const image = ctx.config.gateway.baseImage;
  if (await imageExists(ctx.podman.client, image)) return { status: 'ok', finding: `${image} is present` };
  return {
    status: 'warn',
    finding: `${image} is not present: catalog entries from npm are built on it, so adding one pulls it first`,
    fix:
      `pull it (\`podman pull ${image}\`), or pass --base-image <a local image with node on PATH> ` +
      '(e.g. one built locally from a Containerfile), or set gateway.baseImage in the config',
  };
}

const REGISTRY_TIMEOUT_MS = 5000;

/** The base image's registry answers HTTPS at /v2/ (any HTTP status, 401 included, is an answer). */
export async function checkRegistry(ctx: DoctorContext, signal: AbortSignal): Promise<Outcome> {
  const image = ctx.config.gateway.baseImage;
  const host = registryHost(image);
  if (host === 'localhost')
    return { status: 'ok', finding: `${image} is a local name: no registry is needed` };
  const url = `https://${host}/v2/`;
  try {
    const res = await fetch(url, {
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(REGISTRY_TIMEOUT_MS)]),
    });
    await res.body?.cancel();
    return { status: 'ok', finding: `${url} answered (HTTP ${res.status})` };
  } catch (err) {
    const cause = (err as Error).cause as { code?: string; message?: string } | undefined;
    const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
    const reason = timedOut
      ? `no answer within ${REGISTRY_TIMEOUT_MS / 1000} s`
      : (cause?.code ?? cause?.message ?? (err as Error).message);
    return {
      status: 'warn',
      finding: `${url} is unreachable (${reason}): pulls from ${host} fail, the base image's included`,
      fix: 'offline, use images that are present locally: --base-image <a local image with node on PATH>, and catalog entries whose images are built or loaded locally (`podman load`); or reach the registry through a mirror (registries.conf)',
    };
  }
}

/** Quadlet (Podman 4.4+) lets `install --quadlet` work; without it `install --systemd` does the same job. */
export async function checkQuadlet(ctx: DoctorContext, signal: AbortSignal): Promise<Outcome> {
  const version = ctx.podman ? ` (Podman ${(await ctx.podman.version(signal)).Version ?? 'unknown'})` : '';
  const generator = QUADLET_GENERATORS.find((path) => existsSync(path));
  if (quadletAvailable() && generator)
    return {
      status: 'ok',
      finding: `Quadlet generator at ${generator}${version}: \`install --quadlet\` works`,
    };
  return {
    status: 'warn',
    finding: `no Quadlet generator (${QUADLET_GENERATORS.join(' or ')})${version}; Quadlet needs Podman 4.4 or newer`,
    fix: 'run mcp-podman as a service with `mcp-podman install --systemd` (a plain systemd unit), or upgrade Podman to 4.4+ for `install --quadlet`',
  };
}

/** The host folders tools may bind-mount: each must exist to be of use. */
export async function checkBindRoots(ctx: DoctorContext): Promise<Outcome> {
  const roots = ctx.config.bindRoots;
  if (roots.length === 0)
    return {
      status: 'ok',
      finding: 'none: tools cannot bind-mount host folders (allow some with --bind-roots /path)',
    };
  const missing = roots.filter((root) => !existsSync(root));
  if (missing.length)
    return {
      status: 'warn',
      finding: `${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist (bind roots: ${roots.join(', ')})`,
      fix: `create ${missing.length === 1 ? 'it' : 'them'}, or drop ${missing.length === 1 ? 'it' : 'them'} from --bind-roots (MCP_PODMAN_BIND_ROOTS)`,
    };
  return { status: 'ok', finding: roots.join(', ') };
}

/** Whether HTTP/WebSocket would demand a token; never prints one. */
export async function checkHttpAuth(ctx: DoctorContext): Promise<Outcome> {
  const { config } = ctx;
  try {
    assertSafeBind(config);
  } catch (err) {
    return {
      status: 'fail',
      finding: `serve --transport http would refuse to start: ${(err as Error).message}`,
      fix: 'set MCP_PODMAN_AUTH_TOKEN (or --auth-token), or bind 127.0.0.1',
    };
  }
  if (config.unsafeNoAuth)
    return {
      status: 'warn',
      finding:
        'HTTP/WebSocket would serve with no token (--unsafe-no-auth): every local user could drive Podman',
      fix: 'drop --unsafe-no-auth (MCP_PODMAN_UNSAFE_NO_AUTH); a token is then generated at start',
    };
  return {
    status: 'ok',
    finding: config.authToken
      ? 'HTTP/WebSocket require the configured token'
      : 'HTTP/WebSocket require a token, generated at start into an owner-only file (or set MCP_PODMAN_AUTH_TOKEN)',
  };
}
