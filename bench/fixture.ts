import type { PodmanClient } from '../src/podman/client.js';
import { MANAGED_LABELS } from '../src/podman/labels.js';
import { podmanCli } from '../test/helpers/podman.js';

/** Names the benchmark's containers, so a text listing can be counted. */
export const BENCH_NAME_PREFIX = 'mcpp-bench-';

/**
 * Creates and starts `count` busybox `sleep` containers through the libpod REST API. On failure it
 * removes what it created before rethrowing, so no half-built fixture survives.
 */
export async function createSleepers(
  client: PodmanClient,
  options: { image: string; count: number },
): Promise<string[]> {
  const ids: string[] = [];
  try {
    for (let i = 0; i < options.count; i++) {
      const created = await client.json<{ Id: string }>('POST', '/libpod/containers/create', {
        body: {
          image: options.image,
          name: `${BENCH_NAME_PREFIX}${i}`,
          command: ['sleep', '3600'],
          labels: MANAGED_LABELS,
        },
      });
      ids.push(created.Id);
      await client.call('POST', `/libpod/containers/${created.Id}/start`);
    }
    return ids;
  } catch (err) {
    await removeContainers(client, ids);
    throw err;
  }
}

/**
 * Force-removes exactly these containers; returns the ids that could not be removed. A Ctrl-C in a
 * terminal also reaches the API service, so what the API cannot remove goes through the podman CLI
 * on the same store.
 */
export async function removeContainers(client: PodmanClient, ids: string[]): Promise<string[]> {
  const failed: string[] = [];
  for (const id of ids) {
    await client
      .call('DELETE', `/libpod/containers/${id}`, { query: { force: true, v: true, timeout: 0 } })
      .catch(() => failed.push(id));
  }
  if (failed.length === 0) return [];
  return podmanCli(['rm', '--force', '--volumes', '--time', '0', ...failed]).then(
    () => [],
    () => failed,
  );
}
