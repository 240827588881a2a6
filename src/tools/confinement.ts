import { realpath } from 'node:fs/promises';
import { McpPodmanError } from '../errors.js';
import type { PodmanClient } from '../podman/client.js';
import { underRoot } from './bind-roots.js';
import { sharedWriterProblems, storageProblems } from './bind-writers.js';
import { hostMounts, type InspectedContainer } from './host-mounts.js';

/**
 * The second line of defence: what Podman actually made of a request, checked by inspecting the
 * container. Checks on the request (bind roots, refused keys) can be decoyed by one more spelling
 * of a key; the inspected container cannot. Every container we create is checked before it first
 * starts, and every container we start is checked again, because Podman resolves a bind source
 * (and a bind volume's device) anew at every start: a folder swapped for a symlink since the last
 * check would hand the container whatever the link points at.
 */
export interface Confinement {
  /**
   * Host folders that binds may lead into (config.bindRoots). Undefined where the binds were
   * checked against the operator's settings when the workload was planned: then a start checks
   * only that each still leads where it did.
   */
  bindRoots?: string[];
  /** Whether the operator allows the host's network (config.allowHostNetwork). */
  allowHostNetwork: boolean;
  /** Capabilities the operator granted this workload (a catalog entry's relax.capAdd). */
  capAdd?: string[];
  /**
   * Containers this one replaces (compose's stopped old copy, removed once the new one runs): not
   * counted as writers of its folders. Restoring one on a rollback is checked again.
   */
  replacing?: string[];
}

export function confinementOf(config: { bindRoots: string[]; allowHostNetwork: boolean }): Confinement {
  return { bindRoots: config.bindRoots, allowHostNetwork: config.allowHostNetwork };
}

/** Security options that switch off a confinement Podman applies by default. */
const UNCONFINED_OPT = /^(label[=:](disable|type:)|seccomp[=:]unconfined|apparmor[=:]unconfined|unmask[=:])/i;

/**
 * Why this container may not run here: empty when it is confined as this server allows. Binds
 * (and bind-backed volumes) must lead, by their real path, into the bind roots, and their recorded
 * source must be that real path: we always mount real paths, so a difference means a link was
 * swapped in since. A restart policy is refused on a container with binds: Podman would restart it
 * by itself, resolving the sources again where nothing checks them.
 */
export async function confinementViolations(
  client: PodmanClient,
  info: InspectedContainer,
  confinement: Confinement,
): Promise<string[]> {
  const host = info.HostConfig ?? {};
  const out: string[] = [];
  if (host.Privileged) out.push('it is privileged');
  const granted = new Set((confinement.capAdd ?? []).map(capName));
  const added = (host.CapAdd ?? []).filter((c) => !granted.has(capName(c)));
  if (added.length) out.push(`it adds capabilities (${added.join(', ')})`);
  if (host.Devices?.length)
    out.push(`it is given host devices (${host.Devices.map((d) => d.PathOnHost).join(', ')})`);
  for (const [ns, key] of NAMESPACES) {
    if (ns === 'network' && confinement.allowHostNetwork) continue;
    const mode = await namespaceMode(client, info, key);
    if (mode === 'host') out.push(`it shares the host's ${ns} namespace`);
    // "ns:/proc/<pid>/ns/net": another process's namespace, the host's own included.
    else if (mode?.startsWith('ns:')) out.push(`it joins the ${ns} namespace at ${mode.slice(3)}`);
  }
  const unconfined = (host.SecurityOpt ?? []).filter((o) => UNCONFINED_OPT.test(o));
  if (unconfined.length) out.push(`it turns confinement off (${unconfined.join(', ')})`);
  const mounts = await hostMounts(client, info);
  const binds = mounts.filter((m) => !m.volumeStore).map((m) => m.source);
  for (const source of binds) {
    const problem = await bindProblem(source, confinement.bindRoots);
    if (problem) out.push(problem);
  }
  // An overlay's lower folder is resolved at each start like a bind, and inspect hides it in options.
  const overlays = (info.Mounts ?? []).filter((m) =>
    m.Options?.some((o) => o === 'O' || o.startsWith('lowerdir=')),
  );
  if (overlays.length)
    out.push(
      `it mounts host folders as overlays (${overlays.map((m) => m.Destination).join(', ')}), which this server does not offer`,
    );
  if (binds.length) {
    out.push(...(await storageProblems(client, binds)));
    out.push(...(await sharedWriterProblems(client, info, mounts, confinement.replacing ?? [])));
  }
  const restart = host.RestartPolicy?.Name ?? '';
  if (binds.length && restart !== '' && restart !== 'no') {
    out.push(
      `it has host folders and restart policy "${restart}": Podman would restart it by itself, where host paths are not checked`,
    );
  }
  return out;
}

const NAMESPACES = [
  ['PID', 'PidMode'],
  ['IPC', 'IpcMode'],
  ['UTS', 'UTSMode'],
  ['network', 'NetworkMode'],
] as const;

/**
 * A namespace mode as it ends up: "container:<id>" (a pod's infra container, or a container
 * joined by name) is followed to the container that owns the namespace, so a container put into
 * an operator's host-network pod is seen on the host's network.
 */
async function namespaceMode(
  client: PodmanClient,
  info: InspectedContainer,
  key: (typeof NAMESPACES)[number][1],
): Promise<string | undefined> {
  let mode = info.HostConfig?.[key];
  for (let hops = 0; mode?.startsWith('container:') && hops < 8; hops++) {
    const owner = await client
      .json<InspectedContainer>('GET', `/libpod/containers/${encodeURIComponent(mode.slice(10))}/json`)
      .catch(() => undefined);
    mode = owner?.HostConfig?.[key];
  }
  return mode;
}

async function bindProblem(source: string, roots: string[] | undefined): Promise<string | undefined> {
  if (roots?.length === 0) return `it mounts host path ${source}, and this server shares no host folders`;
  const real = await realpath(source).catch(() => undefined);
  if (real === undefined) return `it mounts host path ${source}, which cannot be resolved now`;
  if (roots) {
    const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => r)));
    const inside = realRoots.some((root) => underRoot(real, root));
    if (!inside) return `it mounts host path ${source}, which leads to ${real}, outside the shared folders`;
  }
  // We mount real paths only, so a source that is no longer its own real path had a link swapped in.
  if (real !== source) return `it mounts host path ${source}, which has become a link to ${real}`;
  return undefined;
}

/**
 * A restart policy on a container with host folders: Podman would restart it by itself and
 * resolve the folders again where this server cannot check them. Our own starts check them.
 */
export function restartWithBinds(where: string, policy: string): McpPodmanError {
  return new McpPodmanError(
    'INVALID_PARAMS',
    `${where} has host folders and ${policy}: Podman would restart it by itself, resolving the folders again ` +
      'where this server cannot check them. Leave the restart policy off and restart it through this server ' +
      '(podman_start, podman_restart, the API), which checks the folders each time, or use a named volume.',
  );
}

function capName(cap: string): string {
  const upper = cap.toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/**
 * Inspects containers and throws FORBIDDEN when any is not confined. `where` says what is being
 * done ("This container cannot start"), so the message reads as an answer to the call.
 */
export async function assertConfined(
  client: PodmanClient,
  refs: string[],
  confinement: Confinement,
  where: string,
): Promise<void> {
  const problems: string[] = [];
  for (const ref of refs) {
    const info = await client.json<InspectedContainer>(
      'GET',
      `/libpod/containers/${encodeURIComponent(ref)}/json`,
      { notFound: { code: 'CONTAINER_NOT_FOUND', message: `No container "${ref}".` } },
    );
    const found = await confinementViolations(client, info, confinement);
    const name = (info.Name ?? ref).replace(/^\//, '');
    problems.push(...found.map((p) => `${name}: ${p}`));
  }
  if (problems.length) {
    throw new McpPodmanError(
      'FORBIDDEN',
      `${where}: ${problems.join('; ')}. This server gives containers no more of the host than its settings ` +
        'allow (bind roots, host network); remove those settings, or ask the operator.',
      { details: { violations: problems } },
    );
  }
}

/** Every container of a pod, its infra container included (it holds the shared namespaces). */
export async function podContainers(client: PodmanClient, pod: string): Promise<string[]> {
  const info = await client.json<{ Containers?: { Id: string }[] | null }>(
    'GET',
    `/libpod/pods/${encodeURIComponent(pod)}/json`,
    { notFound: { code: 'POD_NOT_FOUND', message: `No pod "${pod}". Use podman_pod_list to list pods.` } },
  );
  return (info.Containers ?? []).map((c) => c.Id);
}
