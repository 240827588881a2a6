import { McpPodmanError } from '../errors.js';
import type { PodmanClient } from '../podman/client.js';

/**
 * The Podman secrets mcp-podman makes for itself (a gateway mount's secret env, a service's
 * secret-looking env) hold other tenants' tokens: no client may hand one to a container. They are
 * known two ways: the label they are created with, and the name prefix both kinds share, so a
 * secret made before the label existed, or named by its id, is caught as well.
 */
export const RESERVED_SECRET_LABEL = 'io.mcp-podman.internal-secret';
export const RESERVED_SECRET_PREFIX = 'mcp-podman-';

function refused(refs: string[]): McpPodmanError {
  return new McpPodmanError(
    'FORBIDDEN',
    `Secret ${refs.map((r) => `"${r}"`).join(', ')} belongs to mcp-podman itself (a gateway mount's or a service's ` +
      'credentials) and cannot be given to a container or changed by a client. Use a secret of your own ' +
      '(podman_secret_create, with a name not starting with "mcp-podman-").',
    { details: { secrets: refs } },
  );
}

/** Refuses, without asking Podman, names in the reserved prefix (for creating or naming in YAML). */
export function assertNotReservedName(names: string[]): void {
  const reserved = names.filter((n) => n.toLowerCase().startsWith(RESERVED_SECRET_PREFIX));
  if (reserved.length) throw refused(reserved);
}

/**
 * Refuses references to reserved secrets. Podman finds a secret by name, id or id prefix, so each
 * reference is looked up as Podman would and judged by what it finds; one Podman does not know is
 * left for Podman to refuse.
 */
export async function assertClientSecrets(
  client: PodmanClient,
  refs: string[],
  signal?: AbortSignal,
): Promise<void> {
  const unique = [...new Set(refs)];
  assertNotReservedName(unique);
  const reserved: string[] = [];
  await Promise.all(
    unique.map(async (ref) => {
      // Any answer but "no such secret" fails the call: an unchecked reference is not passed on.
      const found = await client.json<{ Spec?: { Name?: string; Labels?: Record<string, string> | null } }>(
        'GET',
        `/libpod/secrets/${encodeURIComponent(ref)}/json`,
        { signal, okStatuses: [404] },
      );
      const name = found?.Spec?.Name ?? '';
      if (found?.Spec?.Labels?.[RESERVED_SECRET_LABEL] || name.startsWith(RESERVED_SECRET_PREFIX))
        reserved.push(ref);
    }),
  );
  if (reserved.length) throw refused(reserved);
}

/** The Podman secret names a kube document refers to: env secretKeyRef, envFrom secretRef, secret volumes. */
export function kubeSecretRefs(docs: unknown[]): string[] {
  const refs: string[] = [];
  const fold = (k: string) => k.toLowerCase().replace(/\u017f/g, 's');
  const field = (node: Record<string, unknown>, key: string) =>
    Object.entries(node)
      .filter(([k]) => fold(k) === key)
      .map(([, v]) => v);
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const k = fold(key);
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const v = value as Record<string, unknown>;
        if (k === 'secretkeyref' || k === 'secretref') refs.push(...field(v, 'name').map(String));
        if (k === 'secret') refs.push(...field(v, 'secretname').map(String));
      }
      walk(value);
    }
  };
  walk(docs);
  return refs;
}
