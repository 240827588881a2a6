import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseVolume } from '../schemas.js';
import type { BindMount, NamedMount, ProjectObject, ServiceSpec, TmpfsMount } from './model.js';
import { byteSize, isMap, type Problems, scalarText, stringList } from './values.js';

export interface MountContext {
  dir: string;
  volumes: Record<string, ProjectObject>;
  problems: Problems;
}

type Mounts = Pick<ServiceSpec, 'binds' | 'volumes' | 'tmpfs'>;

const LONG_KEYS: Record<string, readonly string[]> = {
  '': ['type', 'source', 'target', 'read_only', 'bind', 'volume', 'tmpfs', 'consistency'],
  bind: ['create_host_path', 'propagation', 'selinux'],
  volume: ['nocopy'],
  tmpfs: ['size', 'mode'],
};
const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const TMPFS_OPTION =
  /^(?:size=\d+[kmgKMG]?|mode=[0-7]{3,4}|uid=\d+|gid=\d+|rw|ro|exec|noexec|suid|nosuid|dev|nodev|tmpcopyup|notmpcopyup)$/;

/** `volumes:` of a service: "SOURCE:TARGET[:MODE]", "/anonymous", or the long syntax (a map with type). */
export function mounts(v: unknown, path: string, ctx: MountContext): Mounts {
  const out: Mounts = { binds: [], volumes: [], tmpfs: [] };
  if (v === undefined || v === null) return out;
  if (!Array.isArray(v)) return ctx.problems.add(path, 'must be a list') ?? out;
  for (const [i, entry] of v.entries()) {
    const here = `${path}[${i}]`;
    if (isMap(entry)) longMount(entry, here, ctx, out);
    else if (typeof entry === 'string') shortMount(entry, here, ctx, out);
    else ctx.problems.add(here, 'must be "SOURCE:TARGET[:MODE]", "/path" or a map with type and target');
  }
  return out;
}

function shortMount(entry: string, here: string, ctx: MountContext, out: Mounts): void {
  const [source = '', ...rest] = entry.split(':');
  if (rest.length === 0) {
    // "/data" alone: an anonymous volume, as in compose.
    if (!source.startsWith('/')) ctx.problems.add(here, 'an anonymous volume must be an absolute path');
    else out.volumes.push({ destination: source, options: [] });
    return;
  }
  const isPath = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
  const parsed = parseVolume([isPath ? hostPath(source, ctx.dir) : source, ...rest].join(':'));
  if (!parsed) {
    ctx.problems.add(here, 'must be "SOURCE:TARGET[:MODE]" with an absolute TARGET and known mode options');
  } else if (parsed.kind === 'bind') {
    const { source: s, destination, options } = parsed;
    out.binds.push({ source: s, destination, options, createHostPath: true });
  } else {
    const volume = declaredVolume(parsed.name, here, ctx);
    if (volume) out.volumes.push({ volume, destination: parsed.destination, options: parsed.options });
  }
}

/** The long syntax; a bind source that does not exist is an error unless bind.create_host_path. */
function longMount(entry: Record<string, unknown>, here: string, ctx: MountContext, out: Mounts): void {
  const { problems } = ctx;
  const before = problems.list.length;
  for (const [section, keys] of Object.entries(LONG_KEYS)) {
    const map = section ? entry[section] : entry;
    if (map === undefined || map === null) continue;
    if (!isMap(map)) {
      problems.add(`${here}.${section}`, 'must be a map');
      continue;
    }
    for (const key of Object.keys(map)) {
      if (!keys.includes(key)) {
        problems.add(
          `${here}${section ? `.${section}` : ''}.${key}`,
          `is not supported (${keys.join(', ')})`,
        );
      }
    }
  }
  const type = entry.type;
  const target = scalarText(entry.target);
  if (!target?.startsWith('/')) problems.add(`${here}.target`, 'must be an absolute path in the container');
  const source = entry.source === undefined ? undefined : scalarText(entry.source);
  if (entry.source !== undefined && !source) problems.add(`${here}.source`, 'must be a string');
  for (const section of ['bind', 'volume', 'tmpfs']) {
    if (entry[section] !== undefined && section !== type) {
      problems.add(`${here}.${section}`, `only applies to type: ${section}`);
    }
  }
  const readOnly = flag(entry.read_only, `${here}.read_only`, problems);
  const options = readOnly ? ['ro'] : [];
  if (type === 'bind') {
    const bind = isMap(entry.bind) ? entry.bind : {};
    const create = flag(bind.create_host_path, `${here}.bind.create_host_path`, problems);
    const propagation = bind.propagation;
    if (propagation !== undefined && !PROPAGATIONS.includes(propagation as string)) {
      problems.add(`${here}.bind.propagation`, `must be one of ${PROPAGATIONS.join(', ')}`);
    }
    if (bind.selinux !== undefined && bind.selinux !== 'z' && bind.selinux !== 'Z') {
      problems.add(`${here}.bind.selinux`, 'must be z or Z');
    }
    if (!source) problems.add(`${here}.source`, 'a bind mount needs a source path');
    const path = source ? hostPath(source, ctx.dir) : '';
    if (source && !create && !existsSync(path)) {
      problems.add(
        `${here}.source`,
        `"${path}" does not exist; create it, or set bind.create_host_path: true`,
      );
    }
    if (problems.list.length > before) return;
    const extra = [propagation, bind.selinux].filter((o): o is string => typeof o === 'string');
    out.binds.push({
      source: path,
      destination: target!,
      options: [...options, ...extra],
      createHostPath: create,
    });
  } else if (type === 'volume') {
    const nocopy = flag(
      isMap(entry.volume) ? entry.volume.nocopy : undefined,
      `${here}.volume.nocopy`,
      problems,
    );
    const volume = source === undefined ? undefined : declaredVolume(source, `${here}.source`, ctx);
    if (problems.list.length > before) return;
    out.volumes.push({
      ...(volume ? { volume } : {}),
      destination: target!,
      options: [...options, ...(nocopy ? ['nocopy'] : [])],
    });
  } else if (type === 'tmpfs') {
    if (source !== undefined) problems.add(`${here}.source`, 'a tmpfs mount has no source');
    const tmpfs = isMap(entry.tmpfs) ? entry.tmpfs : {};
    const size = tmpfs.size === undefined ? undefined : byteSize(tmpfs.size, `${here}.tmpfs.size`, problems);
    const mode = tmpfs.mode === undefined ? undefined : scalarText(tmpfs.mode);
    if (tmpfs.mode !== undefined && !/^[0-7]{3,4}$/.test(mode ?? '')) {
      problems.add(`${here}.tmpfs.mode`, 'must be octal permission digits such as 1777 or 755');
    }
    if (problems.list.length > before) return;
    out.tmpfs.push({
      destination: target!,
      options: [...options, ...(size ? [`size=${size}`] : []), ...(mode ? [`mode=${mode}`] : [])],
    });
  } else {
    problems.add(`${here}.type`, 'must be volume, bind or tmpfs');
  }
}

/** The service's `tmpfs:` key: "/path" or "/path:size=64m,mode=1777", alone or in a list. */
export function tmpfsMounts(v: unknown, path: string, problems: Problems): TmpfsMount[] {
  return (stringList(v, path, problems) ?? []).flatMap((entry) => {
    const colon = entry.indexOf(':');
    const destination = colon < 0 ? entry : entry.slice(0, colon);
    const options = colon < 0 ? [] : entry.slice(colon + 1).split(',');
    if (!destination.startsWith('/') || !options.every((o) => TMPFS_OPTION.test(o))) {
      problems.add(
        path,
        `"${entry}" must be "/path" or "/path:OPTIONS" (size=, mode=, uid=, gid=, ro, noexec...)`,
      );
      return [];
    }
    return [{ destination, options }];
  });
}

/** Mount directories given as bind sources that do not exist yet, as compose does. */
export function hostPathsToCreate(binds: BindMount[]): string[] {
  return binds.filter((b) => b.createHostPath && !existsSync(b.source)).map((b) => b.source);
}

function hostPath(source: string, dir: string): string {
  return source.startsWith('~') ? join(homedir(), source.slice(1)) : resolve(dir, source);
}

function declaredVolume(key: string, here: string, ctx: MountContext): NamedMount['volume'] {
  if (Object.hasOwn(ctx.volumes, key)) return ctx.volumes[key]!.name;
  return ctx.problems.add(here, `refers to volume "${key}", which the top-level volumes do not declare`);
}

function flag(v: unknown, path: string, problems: Problems): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  return problems.add(path, 'must be true or false') ?? false;
}
