import { realpath } from 'node:fs/promises';
import type { PodmanClient } from '../podman/client.js';
import { underRoot } from './bind-roots.js';
import { bindsDevice, type HostMount, type InspectedContainer } from './host-mounts.js';

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
  replacing: string[],
): Promise<string[]> {
  // Two list calls for the whole machine rather than an inspect per container: the Docker-compatible
  // list carries each container's mounts (sources and RW), the libpod volume list their options.
  const [listed, volumes] = await Promise.all([
    client.json<ListedContainer[] | null>('GET', '/containers/json', { query: { all: true } }),
    client.json<ListedVolume[] | null>('GET', '/libpod/volumes/json'),
  ]);
  const byName = new Map((volumes ?? []).map((v) => [v.Name, v]));
  const others = (listed ?? [])
    .filter((c) => c.Id !== info.Id && !replacing.includes(c.Id))
    .map((c) => ({
      name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
      mounts: (c.Mounts ?? []).flatMap((m) => listedMount(m, byName)),
    }));
  const everyone = [{ name: 'itself', mounts: mine }, ...others];
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
  return path !== folder && underRoot(path, folder);
}

interface ListedContainer {
  Id: string;
  Names?: string[];
  Mounts?: { Type?: string; Name?: string; Source?: string; RW?: boolean }[] | null;
}

interface ListedVolume {
  Name: string;
  Mountpoint?: string;
  Options?: Record<string, string> | null;
}

/** A listed mount as hostMounts() reads an inspected one: binds, bind-backed volumes, volume folders. */
function listedMount(
  m: NonNullable<ListedContainer['Mounts']>[number],
  volumes: Map<string, ListedVolume>,
): HostMount[] {
  const writable = m.RW !== false;
  if (m.Type === 'bind' && m.Source) return [{ source: m.Source, writable }];
  if (m.Type !== 'volume' || !m.Name) return [];
  const o = volumes.get(m.Name)?.Options ?? {};
  if (bindsDevice(o)) return [{ source: o.device!, writable }];
  const folder = m.Source ?? volumes.get(m.Name)?.Mountpoint;
  return folder ? [{ source: folder, writable, volumeStore: true }] : [];
}

const storageRoots = new WeakMap<PodmanClient, Promise<string[]>>();

/**
 * A bind that contains Podman's own storage, or lies inside it: there a container reaches images,
 * other containers' layers and the folders of named volumes, which no bind check covers (a
 * writable $HOME holds a rootless Podman's volumes). The store's paths come from /libpod/info, once.
 */
export async function storageProblems(client: PodmanClient, binds: string[]): Promise<string[]> {
  let roots = storageRoots.get(client);
  if (!roots) {
    roots = client
      .json<{ store?: { graphRoot?: string; runRoot?: string; volumePath?: string } }>('GET', '/libpod/info')
      .then(({ store }) =>
        Promise.all(
          [store?.graphRoot, store?.runRoot, store?.volumePath]
            .filter((p): p is string => Boolean(p))
            .map((p) => realpath(p).catch(() => p)),
        ),
      );
    roots.catch(() => storageRoots.delete(client));
    storageRoots.set(client, roots);
  }
  const store = await roots;
  const problems: string[] = [];
  for (const bind of binds) {
    const real = await realpath(bind).catch(() => bind);
    const hit = store.find((s) => s === real || inside(s, real) || inside(real, s));
    if (hit)
      problems.push(
        `its host folder ${real} ${inside(real, hit) ? 'lies inside' : 'holds'} Podman's storage (${hit})`,
      );
  }
  return problems;
}
