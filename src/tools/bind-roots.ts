import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { McpPodmanError } from '../errors.js';

/**
 * Which host folders a caller may bind-mount into a container or build an image from. A bind of /
 * (or of the Podman socket, or of ~/.ssh) hands the container, and whoever drives it, the host, and
 * a build context is read into an image just the same; so host paths are refused unless the operator
 * lists folders that may be shared (--bind-roots, MCP_PODMAN_BIND_ROOTS). Named volumes need no
 * permission. A path counts by where it really leads, symlinks resolved.
 */
export async function assertBindable(
  paths: string[],
  roots: string[],
  where: string,
  use: { action: string; instead: string } = { action: 'bind-mounts', instead: 'use a named volume' },
): Promise<void> {
  if (paths.length === 0) return;
  if (roots.length === 0) {
    throw new McpPodmanError(
      'FORBIDDEN',
      `${where} ${use.action} host path ${paths[0]}, and this server shares no host folders. ${capitalized(use.instead)}, ` +
        'or ask the operator to allow folders with --bind-roots or MCP_PODMAN_BIND_ROOTS (comma-separated).',
      { details: { paths } },
    );
  }
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => resolve(r))));
  for (const path of paths) {
    const real = await realHostPath(path);
    if (!realRoots.some((root) => real === root || real.startsWith(root === '/' ? '/' : `${root}/`))) {
      throw new McpPodmanError(
        'FORBIDDEN',
        `${where} ${use.action} host path ${path}${real !== path ? ` (really ${real})` : ''}, which is outside the ` +
          `folders this server shares (${roots.join(', ')}). Use a path under one of them, or ${use.instead}.`,
        { details: { path, allowed: roots } },
      );
    }
  }
}

/** For a build context rather than a mount. */
export const BUILD_CONTEXT = {
  action: 'builds from',
  instead: 'give the Containerfile inline (containerfileText)',
};

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The real path of a host path, or of its nearest existing parent for one not created yet. */
async function realHostPath(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    const parent = dirname(absolute);
    if (parent === absolute) return absolute;
    return join(await realHostPath(parent), basename(absolute));
  }
}
