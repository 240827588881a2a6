import type { PodmanClient } from '../podman/client.js';

/** The parts of libpod's container inspect this reads. */
export interface InspectedContainer {
  Id: string;
  Name?: string;
  HostConfig?: {
    Privileged?: boolean;
    CapAdd?: string[] | null;
    Devices?: { PathOnHost?: string }[] | null;
    NetworkMode?: string;
    PidMode?: string;
    IpcMode?: string;
    UTSMode?: string;
    UsernsMode?: string;
    SecurityOpt?: string[] | null;
    RestartPolicy?: { Name?: string };
  };
  Mounts?:
    | {
        Type?: string;
        Source?: string;
        Destination?: string;
        Name?: string;
        RW?: boolean;
        Options?: string[];
      }[]
    | null;
}

/** A host path a container mounts at each start, and whether it can write there. */
export interface HostMount {
  source: string;
  writable: boolean;
  /** A named volume's own folder in Podman's store (not a host folder a client named). */
  volumeStore?: boolean;
}

interface InspectedVolume {
  Options?: Record<string, string> | null;
}

/**
 * Host paths the container mounts at each start: binds, the devices of volumes that bind one, and
 * (marked volumeStore) the folders of its other named volumes, which it can write into too.
 */
export async function hostMounts(client: PodmanClient, info: InspectedContainer): Promise<HostMount[]> {
  const out: HostMount[] = [];
  for (const m of info.Mounts ?? []) {
    const writable = m.RW !== false;
    if (m.Type === 'bind' && m.Source) out.push({ source: m.Source, writable });
    if (m.Type === 'volume' && m.Name) {
      const volume = await client
        .json<InspectedVolume>('GET', `/libpod/volumes/${encodeURIComponent(m.Name)}/json`)
        .catch(() => undefined);
      const o = volume?.Options ?? {};
      if (bindsDevice(o)) out.push({ source: o.device!, writable });
      else if (m.Source) out.push({ source: m.Source, writable, volumeStore: true });
    }
  }
  return out;
}

/** Whether a local volume's options bind a host path (its device) rather than make a fresh folder. */
export function bindsDevice(o: Record<string, string>): boolean {
  return Boolean(o.device) && (o.type === 'bind' || /(^|,)\s*r?bind\s*(,|$)/.test(o.o ?? ''));
}
