import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { McpPodmanError } from '../errors.js';

export interface HostUse {
  /** What the caller does with the path: "bind-mounts", "builds from", "reads". */
  action: string;
  /** The alternative that needs no host folder. */
  instead: string;
}

const MOUNT: HostUse = { action: 'bind-mounts', instead: 'use a named volume' };
/** For a build context rather than a mount. */
export const BUILD_CONTEXT: HostUse = {
  action: 'builds from',
  instead: 'give the Containerfile inline (containerfileText)',
};

/**
 * Which host folders a caller may bind-mount into a container, build an image from or have read. A
 * bind of / (or of the Podman socket, or of ~/.ssh) hands the container, and whoever drives it, the
 * host; a build context or a file read into a secret leaks just the same. So host paths are refused
 * unless the operator lists folders that may be shared (--bind-roots, MCP_PODMAN_BIND_ROOTS). Named
 * volumes need no permission.
 *
 * A path counts by where it really leads: symlinks are resolved, `..` and relative paths are
 * refused (the kernel would follow a symlink before `..`), and so is a dangling symlink or a path
 * that cannot be examined. Returns the real paths, which callers mount instead of the given ones,
 * so a symlink swapped in afterwards changes nothing.
 */
export async function assertBindable(
  paths: string[],
  roots: string[],
  where: string,
  use: HostUse = MOUNT,
): Promise<string[]> {
  if (paths.length === 0) return [];
  if (roots.length === 0) {
    throw new McpPodmanError(
      'FORBIDDEN',
      `${where} ${use.action} host path ${paths[0]}, and this server shares no host folders. ${capitalized(use.instead)}, ` +
        'or ask the operator to allow folders with --bind-roots or MCP_PODMAN_BIND_ROOTS (comma-separated).',
      { details: { paths } },
    );
  }
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => resolve(r))));
  const reals: string[] = [];
  for (const path of paths) {
    if (!isAbsolute(path) || path.split('/').includes('..')) {
      throw new McpPodmanError(
        'INVALID_PARAMS',
        `${where} ${use.action} host path ${path}: give an absolute path without "..".`,
      );
    }
    const real = await realHostPath(path, where);
    if (!realRoots.some((root) => underRoot(real, root))) {
      throw new McpPodmanError(
        'FORBIDDEN',
        `${where} ${use.action} host path ${path}${real !== path ? ` (really ${real})` : ''}, which is outside the ` +
          `folders this server shares (${roots.join(', ')}). Use a path under one of them, or ${use.instead}.`,
        { details: { path, allowed: roots } },
      );
    }
    reals.push(real);
  }
  return reals;
}

/**
 * The real path of a host path, or, for one that does not exist yet, its nearest existing parent's
 * real path plus the rest. Only a missing path may be walked past: a dangling symlink or one that
 * cannot be read would be followed by Podman (as root) to somewhere this check never saw.
 */
async function realHostPath(path: string, where: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const absent =
      code === 'ENOENT' &&
      (await lstat(path).then(
        () => false,
        () => true,
      ));
    if (!absent) {
      throw new McpPodmanError(
        'FORBIDDEN',
        `${where} names host path ${path}, which cannot be resolved (${code === 'ENOENT' ? 'a dangling symlink' : (code ?? 'unreadable')}); it is refused.`,
      );
    }
    const parent = dirname(path);
    if (parent === path) return path;
    return join(await realHostPath(parent, where), basename(path));
  }
}

/** Whether `path` is `root` or lies below it (both absolute and normalized). */
export function underRoot(path: string, root: string): boolean {
  return path === root || path.startsWith(root === '/' ? '/' : `${root}/`);
}

export function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The options of a local volume (podman_volume_create, or a kube claim's volume.podman.io/*
 * annotations): Podman mounts `device` as `type` with `o`, reading those exact keys. Three shapes are
 * allowed: none of them; a tmpfs (no bind, move or remount in `o`); or a bind whose device is a host
 * folder under the bind roots (returned by its real path). Anything else mounts a device, a host
 * filesystem (proc, devtmpfs, overlay) or moves a mount, and is refused; so is a key that differs
 * from one of the three only in case, which would decoy this check while Podman reads the real one.
 */
export async function checkedVolumeOptions(
  options: Record<string, string>,
  keys: { type: string; device: string; o: string },
  roots: string[],
  where: string,
): Promise<Record<string, string>> {
  const exact = new Set(Object.values(keys));
  const folded = new Map([...exact].map((k) => [k.toLowerCase(), k]));
  for (const key of Object.keys(options)) {
    if (!exact.has(key) && folded.has(key.toLowerCase()))
      throw new McpPodmanError(
        'INVALID_PARAMS',
        `${where}: write "${folded.get(key.toLowerCase())}", not "${key}".`,
      );
  }
  const type = options[keys.type];
  const device = options[keys.device];
  const o = options[keys.o] ?? '';
  const tokens = o.split(',').map((t) => t.trim());
  if (type === undefined && device === undefined && o === '') return options;
  if (type === 'tmpfs' && !tokens.some((t) => /^(r?bind|move|remount)$/.test(t))) return options;
  const bind =
    type === 'bind' || ((type === undefined || type === 'none') && tokens.some((t) => /^r?bind$/.test(t)));
  if (bind && device !== undefined && !tokens.some((t) => /^(move|remount)$/.test(t))) {
    const [real] = await assertBindable([device], roots, where);
    return { ...options, [keys.device]: real! };
  }
  throw new McpPodmanError(
    'FORBIDDEN',
    `${where} would mount ${device ?? type ?? o} (type ${type ?? 'none'}, options "${o}"), which gives containers a host ` +
      'device or filesystem. This server allows plain volumes, tmpfs volumes and binds of shared folders only.',
  );
}
