import type { PodmanClient } from '../podman/client.js';
import { MANAGED_LABELS } from '../podman/labels.js';
import { RESERVED_SECRET_LABEL } from '../tools/reserved-secrets.js';

/**
 * Podman secrets that carry a mount's secret env values. The value goes to Podman once and reaches
 * the container as an env variable; it never sits in a container spec, a label or a result.
 */
export function secretName(gatewayId: string, prefix: string, variable: string, pid = process.pid): string {
  // The pid keeps two gateways with the same id (two clients each starting one) out of each other's way.
  return `mcp-podman-${gatewayId}-${pid}-${prefix}-${variable}`;
}

export async function putSecret(client: PodmanClient, name: string, value: string): Promise<void> {
  await client.call('DELETE', `/libpod/secrets/${encodeURIComponent(name)}`, { okStatuses: [404] });
  await client.call('POST', '/libpod/secrets/create', {
    // The label marks it as mcp-podman's own, which no client may hand to a container.
    query: { name, driver: 'file', labels: { ...MANAGED_LABELS, [RESERVED_SECRET_LABEL]: 'true' } },
    body: value,
    headers: { 'content-type': 'text/plain' },
  });
}

export async function deleteSecrets(client: PodmanClient, names: string[]): Promise<void> {
  await Promise.all(
    names.map((name) =>
      client
        .call('DELETE', `/libpod/secrets/${encodeURIComponent(name)}`, { okStatuses: [404] })
        .catch(() => undefined),
    ),
  );
}

/** Names of the secrets a gateway made for one prefix (for cleaning up after a crashed instance). */
export async function secretsWithPrefix(client: PodmanClient, namePrefix: string): Promise<string[]> {
  const list = await client.json<{ Spec?: { Name?: string } }[]>('GET', '/libpod/secrets/json');
  return (list ?? []).map((s) => s.Spec?.Name ?? '').filter((n) => n.startsWith(namePrefix));
}
