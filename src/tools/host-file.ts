import { constants, type Stats } from 'node:fs';
import { lstat, open, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { McpPodmanError } from '../errors.js';
import { capitalized, underRoot } from './bind-roots.js';

export interface HostFileRead {
  /** The real path that was read (symlinks resolved), for resolving paths relative to the file. */
  path: string;
  text: string;
  /** The same content as read, for a file that need not be text (a secret). */
  bytes: Buffer;
}

export interface HostFileOptions {
  /** What the caller can do instead of naming a host file, e.g. "give yaml (the text)". */
  instead: string;
  /** Larger files are refused (default 1 MiB). */
  maxBytes?: number;
  /** Answer undefined for a file that does not exist (under the roots), e.g. an optional .env. */
  optional?: boolean;
}

const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * Reads a host file for a client (a compose file, its .env and env_files, a kube YAML, a secret's
 * content), only under
 * the bind roots. The server can read far more of the host than the client should, so a path
 * outside the roots is refused before it is looked at, and everything that could tell the client
 * about a file it may not read (a symlink to it, whether it exists) gets one and the same answer.
 * The file read is the real path that was checked: it is opened without following a last-moment
 * symlink, and what was opened is checked again. Errors never carry the file's content.
 */
export async function readHostFile(
  path: string,
  roots: string[],
  where: string,
  options: HostFileOptions & { optional: true },
): Promise<HostFileRead | undefined>;
export async function readHostFile(
  path: string,
  roots: string[],
  where: string,
  options: HostFileOptions,
): Promise<HostFileRead>;
export async function readHostFile(
  path: string,
  roots: string[],
  where: string,
  options: HostFileOptions,
): Promise<HostFileRead | undefined> {
  const refused = new McpPodmanError(
    'FORBIDDEN',
    `${where} reads ${path}, which is not a file this server may read: it reads files only under the folders ` +
      `it shares (${roots.join(', ') || 'none'}). Use a file under one of them, or ${options.instead}.`,
    { details: { path, allowed: roots } },
  );
  if (roots.length === 0) {
    throw new McpPodmanError(
      'FORBIDDEN',
      `${where} reads host file ${path}, and this server shares no host folders. ${capitalized(options.instead)}, ` +
        'or ask the operator to allow folders with --bind-roots or MCP_PODMAN_BIND_ROOTS (comma-separated).',
      { details: { path } },
    );
  }
  if (!isAbsolute(path) || path.split('/').includes('..') || path.includes('\0')) {
    throw new McpPodmanError('INVALID_PARAMS', `${where} reads ${path}: give an absolute path without "..".`);
  }
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => r)));
  // By the name alone first: a path that does not even claim to be under a root is never touched.
  if (![...roots, ...realRoots].some((root) => underRoot(path, root))) throw refused;
  const real = await realPathUnder(path, realRoots);
  if (real === undefined) throw refused;
  if (real === MISSING) {
    if (options.optional) return undefined;
    throw new McpPodmanError('NOT_FOUND', `${where}: there is no file ${path}. Check the path.`, {
      details: { path },
    });
  }
  // O_NONBLOCK: a FIFO planted under a root must not hang the call.
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    () => {
      throw refused;
    },
  );
  try {
    const info = await handle.stat();
    if (!(await opened(handle.fd, info, real, realRoots))) throw refused;
    if (!info.isFile()) {
      throw new McpPodmanError('INVALID_PARAMS', `${where}: ${path} is not a regular file.`, {
        details: { path },
      });
    }
    const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const buffer = Buffer.alloc(max + 1);
    let length = 0;
    while (length <= max) {
      const { bytesRead } = await handle.read(buffer, length, max + 1 - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > max) {
      throw new McpPodmanError('INVALID_PARAMS', `${where}: ${path} is larger than ${max} bytes.`, {
        details: { path, maxBytes: max },
      });
    }
    const bytes = buffer.subarray(0, length);
    return { path: real, text: bytes.toString('utf8'), bytes };
  } finally {
    await handle.close();
  }
}

/** What realPathUnder answers for a path that does not exist (and leads nowhere else). */
export const MISSING = Symbol('missing');

/**
 * The real path of `path` if it lies under a root; MISSING if it does not exist and every part of
 * it that does exist lies under a root; otherwise undefined (outside, a dangling symlink,
 * unreadable), so a caller can give one answer for everything it may not look at.
 */
export async function realPathUnder(
  path: string,
  realRoots: string[],
): Promise<string | typeof MISSING | undefined> {
  const real = await realpath(path).catch((err: NodeJS.ErrnoException) => err);
  if (typeof real === 'string') return realRoots.some((root) => underRoot(real, root)) ? real : undefined;
  if (real.code !== 'ENOENT') return undefined;
  // A symlink whose target is missing would be an oracle for what exists outside the roots.
  if (
    await lstat(path).then(
      () => true,
      () => false,
    )
  )
    return undefined;
  const parent = dirname(path);
  if (parent === path) return undefined;
  return (await realPathUnder(parent, realRoots)) === undefined ? undefined : MISSING;
}

/**
 * Whether the file descriptor is the file that was checked: its path as the kernel sees it lies
 * under a root (Linux), or, without /proc, it is the same inode as the checked real path.
 */
async function opened(fd: number, info: Stats, real: string, realRoots: string[]): Promise<boolean> {
  const seen = await realpath(`/proc/self/fd/${fd}`).catch(() => undefined);
  if (seen !== undefined) return realRoots.some((root) => underRoot(seen, root));
  const now = await stat(real).catch(() => undefined);
  return now !== undefined && now.dev === info.dev && now.ino === info.ino;
}
