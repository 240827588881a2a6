import { realpath } from 'node:fs/promises';
import type { PodmanClient } from '../podman/client.js';
import { type HostMount, hostMounts, type InspectedContainer } from './host-mounts.js';

/**
 * Why a container's host folders could be swapped under it: Podman resolves a bind source at
 * every start, and a check just before the start cannot close the window in between. So no
 * container may write a folder on the way to another bind's source (or its own): if one container
 * can write R, no container binds anything below R. Both directions are checked, since either
 * container may be the newer one. A container writing the source itself is fine: it changes what
 * is inside, not where the bind leads.
 */
export async function sharedWriterProblems(
  client: PodmanClient,
  info: InspectedContainer,
  mine: HostMount[],
): Promise<string[]> {
  const listed =
    (await client.json<{ Id: string }[] | null>('GET', '/libpod/containers/json', {
      query: { all: true },
    })) ?? [];
  const others = await Promise.all(
    listed
      .filter((c) => c.Id !== info.Id)
      .map(async (c) => {
        const other = await client
          .json<InspectedContainer>('GET', `/libpod/containers/${c.Id}/json`)
          .catch(() => undefined);
        return other ? { name: nameOf(other), mounts: await hostMounts(client, other) } : undefined;
      }),
  );
  const everyone = [{ name: 'itself', mounts: mine }, ...others.filter((o) => o !== undefined)];
  const real = async (m: HostMount) => ({ ...m, source: await realpath(m.source).catch(() => m.source) });
  const ownBinds = await Promise.all(mine.filter((m) => !m.volumeStore).map(real));
  const problems: string[] = [];
  for (const { name, mounts } of everyone) {
    const theirs = await Promise.all(mounts.map(real));
    for (const bind of ownBinds) {
      const writer = theirs.find((w) => w.writable && inside(bind.source, w.source));
      if (writer)
        problems.push(
          `its host folder ${bind.source} lies inside ${writer.source}, which ${name === 'itself' ? 'it' : `container ${name}`} can write: a folder on the way could be swapped for a link before Podman mounts it`,
        );
      if (!bind.writable || name === 'itself') continue;
      const below = theirs.find((t) => !t.volumeStore && inside(t.source, bind.source));
      if (below)
        problems.push(
          `it can write host folder ${bind.source}, inside which container ${name} mounts ${below.source}: it could swap a folder on the way to that for a link`,
        );
    }
  }
  return [...new Set(problems)];
}

/** Whether `path` lies strictly below `folder`. */
function inside(path: string, folder: string): boolean {
  return path !== folder && path.startsWith(folder === '/' ? '/' : `${folder}/`);
}

function nameOf(info: InspectedContainer): string {
  return (info.Name ?? info.Id.slice(0, 12)).replace(/^\//, '');
}
