import { isIP } from 'node:net';
import { constants } from 'node:os';
import type { RuntimeOptions } from './model.js';
import { shortPort } from './ports.js';
import { byteSize, durationMs, isMap, type Problems, scalarText, stringList } from './values.js';

const HOSTNAME_RE =
  /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const ULIMITS = new Set([
  'as',
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
]);

/**
 * The service keys that shape how the container runs. Only what podman_run could also do, or what
 * narrows the container (cap_drop, read_only, no-new-privileges, limits), is accepted; keys that
 * widen it (privileged, cap_add, host namespaces) are refused by keys.ts before this runs.
 */
export function runtimeOptions(raw: Record<string, unknown>, at: string, problems: Problems): RuntimeOptions {
  const text = (key: string, test: (v: string) => boolean, rule: string): string | undefined => {
    if (raw[key] === undefined || raw[key] === null) return undefined;
    const v = scalarText(raw[key]);
    return v !== undefined && test(v) ? v : problems.add(`${at}.${key}`, rule);
  };
  const bool = (key: string): boolean => {
    const v = raw[key];
    if (v === undefined || v === null || typeof v === 'boolean') return v === true;
    return problems.add(`${at}.${key}`, 'must be true or false') ?? false;
  };
  const grace = raw.stop_grace_period;
  const graceMs = grace === undefined ? undefined : durationMs(grace, `${at}.stop_grace_period`, problems);
  return {
    workingDir: text('working_dir', (v) => v.startsWith('/'), 'must be an absolute path in the container'),
    user: text('user', (v) => /^[\w.-]+(?::[\w.-]+)?$/.test(v), 'must be user[:group] (names or ids)'),
    hostname: text('hostname', (v) => v.length <= 253 && HOSTNAME_RE.test(v), 'must be a valid host name'),
    extraHosts: extraHosts(raw.extra_hosts, `${at}.extra_hosts`, problems),
    capDrop: capabilities(raw.cap_drop, `${at}.cap_drop`, problems),
    noNewPrivileges: securityOptions(raw.security_opt, `${at}.security_opt`, problems),
    stopSignal: signal(raw.stop_signal, `${at}.stop_signal`, problems),
    ...(graceMs !== undefined ? { stopGraceSeconds: Math.ceil(graceMs / 1000) } : {}),
    init: bool('init'),
    readOnly: bool('read_only'),
    expose: expose(raw.expose, `${at}.expose`, problems),
    ...limits(raw, at, problems),
    ulimits: ulimits(raw.ulimits, `${at}.ulimits`, problems),
  };
}

/** A list of "host:ip" (or "host=ip"), or a map of host to ip. */
function extraHosts(v: unknown, path: string, problems: Problems): string[] {
  if (v === undefined || v === null) return [];
  const pairs: [string, unknown][] = isMap(v)
    ? Object.entries(v)
    : (stringList(v, path, problems) ?? []).map((e) => {
        const at = /[:=]/.exec(e)?.index ?? -1;
        return at < 0 ? [e, undefined] : [e.slice(0, at), e.slice(at + 1)];
      });
  return pairs.flatMap(([host, ip]) => {
    const address = scalarText(ip)?.replace(/^\[|\]$/g, '');
    if (!HOSTNAME_RE.test(host) || !address || !isIP(address)) {
      problems.add(path, `"${host}" must map a host name to an IP address ("name:10.0.0.1")`);
      return [];
    }
    return [`${host}:${address}`];
  });
}

function capabilities(v: unknown, path: string, problems: Problems): string[] {
  const caps = stringList(v, path, problems) ?? [];
  const bad = caps.filter((c) => !/^(?:CAP_)?[A-Z_]+$/i.test(c));
  if (bad.length) problems.add(path, `"${bad.join('", "')}" are not capability names (NET_RAW, ALL...)`);
  return caps.filter((c) => !bad.includes(c)).map((c) => c.toUpperCase());
}

/** Only no-new-privileges: every other security option (seccomp, label, apparmor) loosens confinement. */
function securityOptions(v: unknown, path: string, problems: Problems): boolean {
  const options = stringList(v, path, problems) ?? [];
  const other = options.filter((o) => !/^no-new-privileges(?:[:=]true)?$/.test(o));
  if (other.length) {
    problems.add(
      path,
      `"${other.join('", "')}" refused: only no-new-privileges is supported, as podman_run cannot loosen confinement either`,
    );
  }
  return options.length > other.length;
}

function signal(v: unknown, path: string, problems: Problems): number | undefined {
  if (v === undefined || v === null) return undefined;
  const name = scalarText(v)?.toUpperCase() ?? '';
  const number = /^\d+$/.test(name)
    ? Number(name)
    : constants.signals[(name.startsWith('SIG') ? name : `SIG${name}`) as NodeJS.Signals];
  if (number === undefined || number < 1 || number > 64) {
    return problems.add(path, 'must be a signal name such as SIGTERM, SIGINT or SIGQUIT');
  }
  return number;
}

/** "80", "80/udp", "8000-8002": informational, recorded on the container but not published. */
function expose(v: unknown, path: string, problems: Problems): RuntimeOptions['expose'] {
  if (v === undefined || v === null) return {};
  if (!Array.isArray(v)) return problems.add(path, 'must be a list of ports') ?? {};
  const out: RuntimeOptions['expose'] = {};
  for (const [i, entry] of v.entries()) {
    const text = scalarText(entry) ?? '';
    // Only the container side: a colon would make it a published mapping.
    const port = text.includes(':') ? undefined : shortPort(text, `${path}[${i}]`, problems);
    if (text.includes(':'))
      problems.add(`${path}[${i}]`, 'must be a container port such as "80" or "53/udp"');
    for (let p = 0; port && p < (port.range ?? 1); p++) out[port.container_port + p] = port.protocol;
  }
  return out;
}

/** mem_limit, cpus, pids_limit, shm_size and their deploy.resources.limits twins (which must agree). */
function limits(
  raw: Record<string, unknown>,
  at: string,
  problems: Problems,
): Pick<RuntimeOptions, 'memoryBytes' | 'cpus' | 'pidsLimit' | 'shmSizeBytes'> {
  const deploy = isMap(raw.deploy) && isMap(raw.deploy.resources) ? raw.deploy.resources.limits : undefined;
  const fromDeploy = isMap(deploy) ? deploy : {};
  const deployAt = `${at}.deploy.resources.limits`;
  const pick = <T>(key: string, deployKey: string, read: (v: unknown, path: string) => T | undefined) => {
    const own = raw[key] === undefined ? undefined : read(raw[key], `${at}.${key}`);
    const other =
      fromDeploy[deployKey] === undefined
        ? undefined
        : read(fromDeploy[deployKey], `${deployAt}.${deployKey}`);
    if (own !== undefined && other !== undefined && own !== other) {
      problems.add(`${at}.${key}`, `disagrees with ${deployAt}.${deployKey}; give one of them`);
    }
    return own ?? other;
  };
  const size = (v: unknown, path: string) => byteSize(v, path, problems);
  const cpus = (v: unknown, path: string) => {
    const n = Number(scalarText(v));
    return typeof v !== 'boolean' && n >= 0.01 && n <= 1024
      ? n
      : problems.add(path, 'must be a number of cores such as 0.5');
  };
  const pids = (v: unknown, path: string) => {
    const n = Number(scalarText(v));
    // -1 and 0 mean "no limit" in compose.
    if (Number.isInteger(n) && n >= -1) return n > 0 ? n : undefined;
    return problems.add(path, 'must be a whole number of processes');
  };
  const memory = pick('mem_limit', 'memory', size);
  const cpuCount = pick('cpus', 'cpus', cpus);
  const pidsLimit = pick('pids_limit', 'pids', pids);
  const shm = raw.shm_size === undefined ? undefined : size(raw.shm_size, `${at}.shm_size`);
  return {
    ...(memory !== undefined ? { memoryBytes: memory } : {}),
    ...(cpuCount !== undefined ? { cpus: cpuCount } : {}),
    ...(pidsLimit !== undefined ? { pidsLimit } : {}),
    ...(shm !== undefined ? { shmSizeBytes: shm } : {}),
  };
}

/** nofile: 1024, or nofile: {soft: 1024, hard: 2048}. */
function ulimits(v: unknown, path: string, problems: Problems): RuntimeOptions['ulimits'] {
  if (v === undefined || v === null) return [];
  if (!isMap(v)) return problems.add(path, 'must be a map of limit name to a number or {soft, hard}') ?? [];
  return Object.entries(v).flatMap(([name, value]) => {
    const soft = Number(isMap(value) ? value.soft : value);
    const hard = Number(isMap(value) ? value.hard : value);
    if (!ULIMITS.has(name)) {
      problems.add(`${path}.${name}`, `is not a limit name (${[...ULIMITS].join(', ')})`);
      return [];
    }
    if (!Number.isInteger(soft) || !Number.isInteger(hard) || soft < 0 || soft > hard) {
      problems.add(`${path}.${name}`, 'must be a whole number, or {soft, hard} with soft <= hard');
      return [];
    }
    return [{ type: name, soft, hard }];
  });
}
