import { isAbsolute, resolve } from 'node:path';
import { readHostFile } from '../host-file.js';
import { parseEnvFile, type Variables } from './interpolate.js';
import type { BuildSpec, DependencyCondition, Healthcheck, ProjectObject, ServiceSpec } from './model.js';
import { mounts, tmpfsMounts } from './mounts.js';
import { ports } from './ports.js';
import { runtimeOptions } from './runtime.js';
import {
  commandLine,
  durationMs,
  isMap,
  keyValues,
  type Problems,
  scalarText,
  stringList,
} from './values.js';

/** What normalizing one service needs to know about the rest of the project. */
export interface ServiceContext {
  project: string;
  dir: string;
  vars: Variables;
  networks: Record<string, ProjectObject>;
  volumes: Record<string, ProjectObject>;
  problems: Problems;
  bindRoots: string[];
}

const CONDITIONS: DependencyCondition[] = [
  'service_started',
  'service_healthy',
  'service_completed_successfully',
];

/** Turns one `services.<name>` entry into a ServiceSpec, recording every problem it finds. */
export async function normalizeService(
  name: string,
  raw: Record<string, unknown>,
  ctx: ServiceContext,
): Promise<ServiceSpec | undefined> {
  const { problems } = ctx;
  const at = `services.${name}`;
  const before = problems.list.length;
  const build = buildSpec(raw.build, `${at}.build`, ctx);
  const image = scalarText(raw.image) ?? (build ? `localhost/${ctx.project}-${name}:latest` : undefined);
  if (!image) problems.add(at, 'needs an image or a build section');
  const containerName =
    raw.container_name === undefined ? `${ctx.project}-${name}-1` : scalarText(raw.container_name);
  if (containerName === undefined || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(containerName)) {
    problems.add(`${at}.container_name`, 'must be letters, digits, "_", "." and "-"');
  }
  const labels = keyValues(raw.labels, `${at}.labels`, problems);
  const mounted = mounts(raw.volumes, `${at}.volumes`, ctx);
  mounted.tmpfs.push(...tmpfsMounts(raw.tmpfs, `${at}.tmpfs`, problems));
  const targets = [...mounted.binds, ...mounted.volumes, ...mounted.tmpfs].map((m) => m.destination);
  for (const target of new Set(targets.filter((t, i) => targets.indexOf(t) !== i))) {
    problems.add(`${at}.volumes`, `"${target}" is mounted more than once (volumes and tmpfs)`);
  }
  const spec: ServiceSpec = {
    name,
    containerName: containerName ?? '',
    image: image ?? '',
    ...(build ? { build } : {}),
    command: commandLine(raw.command, `${at}.command`, problems),
    entrypoint: commandLine(raw.entrypoint, `${at}.entrypoint`, problems),
    environment: await environment(raw, at, ctx),
    ports: ports(raw.ports, `${at}.ports`, problems),
    ...mounted,
    runtime: runtimeOptions(raw, at, problems),
    dependsOn: dependencies(raw.depends_on, `${at}.depends_on`, problems),
    ...healthcheck(raw.healthcheck, `${at}.healthcheck`, problems),
    restart: restartPolicy(raw.restart, `${at}.restart`, problems),
    labels: Object.fromEntries(Object.entries(labels ?? {}).map(([k, v]) => [k, v ?? ''])),
    networks: serviceNetworks(raw.networks, `${at}.networks`, ctx),
  };
  return problems.list.length > before ? undefined : spec;
}

function buildSpec(v: unknown, path: string, ctx: ServiceContext): BuildSpec | undefined {
  if (v === undefined || v === null) return undefined;
  const raw = typeof v === 'string' ? { context: v } : v;
  if (!isMap(raw)) return ctx.problems.add(path, 'must be a context path or a map with context');
  const context = scalarText(raw.context ?? '.');
  if (context === undefined) return ctx.problems.add(`${path}.context`, 'must be a path');
  const dockerfile = raw.dockerfile === undefined ? undefined : scalarText(raw.dockerfile);
  const args = keyValues(raw.args, `${path}.args`, ctx.problems) ?? {};
  return {
    context: resolve(ctx.dir, context),
    ...(dockerfile ? { dockerfile } : {}),
    args: Object.fromEntries(
      Object.entries(args).flatMap(([k, value]) => {
        const resolved = value ?? ctx.vars[k];
        return resolved === undefined ? [] : [[k, resolved]];
      }),
    ),
  };
}

/** env_file entries first, then `environment` over them; a bare KEY takes the variable's value. */
async function environment(
  raw: Record<string, unknown>,
  at: string,
  ctx: ServiceContext,
): Promise<Record<string, string>> {
  const env: Record<string, string> = Object.create(null);
  for (const file of stringList(raw.env_file, `${at}.env_file`, ctx.problems) ?? []) {
    const path = resolve(ctx.dir, file);
    const read = await readHostFile(path, ctx.bindRoots, `${at}.env_file`, {
      instead: 'set the values under environment',
      optional: true,
    });
    if (read === undefined) {
      ctx.problems.add(`${at}.env_file`, `there is no file "${path}"`);
      continue;
    }
    const parsed = parseEnvFile(read.text);
    for (const e of parsed.errors) ctx.problems.add(`${at}.env_file (${path})`, e);
    Object.assign(env, parsed.values);
  }
  for (const [key, value] of Object.entries(
    keyValues(raw.environment, `${at}.environment`, ctx.problems) ?? {},
  )) {
    const resolved = value ?? ctx.vars[key];
    if (resolved !== undefined) env[key] = resolved;
  }
  return env;
}

function dependencies(v: unknown, path: string, problems: Problems): ServiceSpec['dependsOn'] {
  if (v === undefined || v === null) return {};
  if (Array.isArray(v)) {
    const names = stringList(v, path, problems) ?? [];
    return Object.fromEntries(names.map((n) => [n, 'service_started' as const]));
  }
  if (!isMap(v)) return problems.add(path, 'must be a list of services or a map') ?? {};
  const out: ServiceSpec['dependsOn'] = {};
  for (const [dep, options] of Object.entries(v)) {
    const condition = isMap(options) ? (options.condition ?? 'service_started') : 'service_started';
    if (!CONDITIONS.includes(condition as DependencyCondition)) {
      problems.add(`${path}.${dep}.condition`, `must be one of ${CONDITIONS.join(', ')}`);
      continue;
    }
    out[dep] = condition as DependencyCondition;
  }
  return out;
}

/** Compose's defaults: every 30 s, 30 s timeout, 3 retries, no start period. */
function healthcheck(
  v: unknown,
  path: string,
  problems: Problems,
): Pick<ServiceSpec, 'healthcheck' | 'healthcheckDisabled'> {
  if (v === undefined || v === null) return { healthcheckDisabled: false };
  if (!isMap(v)) return { healthcheckDisabled: problems.add(path, 'must be a map') ?? false };
  if (v.disable === true) return { healthcheckDisabled: true };
  let test: string[] | undefined;
  if (typeof v.test === 'string') test = ['CMD-SHELL', v.test];
  else if (Array.isArray(v.test) && v.test.every((x) => typeof x === 'string') && v.test.length > 0) {
    test = v.test as string[];
    if (!['CMD', 'CMD-SHELL', 'NONE'].includes(test[0]!)) {
      test = problems.add(`${path}.test`, 'a list must start with "CMD", "CMD-SHELL" or "NONE"');
    }
  } else
    problems.add(`${path}.test`, 'must be a command string or a list starting with "CMD" or "CMD-SHELL"');
  if (test?.[0] === 'NONE') return { healthcheckDisabled: true };
  const ms = (key: string, fallback: number) =>
    v[key] === undefined ? fallback : (durationMs(v[key], `${path}.${key}`, problems) ?? fallback);
  const retries = v.retries === undefined ? 3 : Number(v.retries);
  if (!Number.isInteger(retries) || retries < 1)
    problems.add(`${path}.retries`, 'must be a whole number >= 1');
  if (!test) return { healthcheckDisabled: false };
  const check: Healthcheck = {
    test,
    intervalMs: ms('interval', 30_000),
    timeoutMs: ms('timeout', 30_000),
    retries,
    startPeriodMs: ms('start_period', 0),
  };
  return { healthcheck: check, healthcheckDisabled: false };
}

function restartPolicy(v: unknown, path: string, problems: Problems): ServiceSpec['restart'] {
  if (v === undefined || v === null || v === 'no' || v === false) return undefined;
  const m = typeof v === 'string' ? /^(always|unless-stopped|on-failure)(?::(\d+))?$/.exec(v) : null;
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure')) {
    return problems.add(path, 'must be "no", "always", "on-failure", "on-failure:N" or "unless-stopped"');
  }
  return {
    policy: m[1] as 'always' | 'on-failure' | 'unless-stopped',
    ...(m[2] ? { retries: Number(m[2]) } : {}),
  };
}

/** Without a networks key a service joins the project's default network, as in compose. */
function serviceNetworks(v: unknown, path: string, ctx: ServiceContext): ServiceSpec['networks'] {
  let entries: [string, unknown][];
  if (v === undefined || v === null) entries = [['default', null]];
  else if (Array.isArray(v)) entries = (stringList(v, path, ctx.problems) ?? []).map((n) => [n, null]);
  else if (isMap(v)) entries = Object.entries(v);
  else return ctx.problems.add(path, 'must be a list or a map of networks') ?? {};
  const out: ServiceSpec['networks'] = {};
  for (const [key, options] of entries) {
    const network = Object.hasOwn(ctx.networks, key) ? ctx.networks[key] : undefined;
    if (!network) {
      ctx.problems.add(path, `refers to network "${key}", which the top-level networks do not declare`);
      continue;
    }
    const aliases = isMap(options) ? stringList(options.aliases, `${path}.${key}.aliases`, ctx.problems) : [];
    out[network.name] = aliases ?? [];
  }
  return out;
}

/** Resolves a compose file path the way the tools document it. */
export function composePath(file: string): string {
  return isAbsolute(file) ? file : resolve(process.cwd(), file);
}
