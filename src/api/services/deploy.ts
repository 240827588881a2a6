import { connect } from 'node:net';
import { isMcpPodmanError, McpPodmanError } from '../../errors.js';
import { deleteSecrets, putSecret } from '../../gateway/mount-secrets.js';
import type { PodmanClient } from '../../podman/client.js';
import { MANAGED_LABELS } from '../../podman/labels.js';
import { assertConfined, type Confinement } from '../../tools/confinement.js';
import type { Redactor } from '../../tools/redact.js';
import { probe } from './health.js';
import { replicaContainerName, serviceSecretName } from './labels.js';
import { type HttpServicePlan, replicaSpec } from './spec.js';
import { hostPortOf, type ListedContainer } from './state.js';

const READY_TIMEOUT_MS = 30_000;

/** Creates the network http services join, once, when the operator named one that does not exist. */
export async function ensureNetwork(podman: PodmanClient, name: string): Promise<void> {
  const status = await podman.call('GET', `/libpod/networks/${encodeURIComponent(name)}/exists`, {
    okStatuses: [404],
  });
  if (status === 204) return;
  await podman.call('POST', '/libpod/networks/create', {
    body: { name, labels: MANAGED_LABELS },
    conflict: { message: `Network "${name}" appeared while creating it.` },
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

async function inspect(podman: PodmanClient, id: string): Promise<ListedContainer> {
  const list = await podman.json<ListedContainer[]>('GET', '/libpod/containers/json', {
    query: { all: true, filters: { id: [id] } },
  });
  const c = list[0];
  if (!c)
    throw new McpPodmanError(
      'UPSTREAM_ERROR',
      `Replica container ${id.slice(0, 12)} disappeared while starting.`,
    );
  return c;
}

/**
 * Waits until a replica answers: its health path, or else its port accepting connections. A
 * replica that exits meanwhile fails the deploy; one that is merely slow is left starting.
 * Returns whether it is ready.
 */
async function waitReady(
  podman: PodmanClient,
  id: string,
  plan: HttpServicePlan,
  signal: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (signal.aborted) throw new McpPodmanError('CANCELLED', 'The request was cancelled.');
    const c = await inspect(podman, id);
    if (c.State === 'exited' || c.State === 'stopped') {
      throw new McpPodmanError(
        'UPSTREAM_ERROR',
        `Replica ${c.Names?.[0] ?? id.slice(0, 12)} of ${plan.name} exited with code ${c.ExitCode} while starting. Check the image, command and port.`,
      );
    }
    const port = hostPortOf(c);
    if (port && (plan.healthPath ? await probe(port, plan.healthPath, 1000) : await portOpen(port)))
      return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/**
 * Stores secrets, then creates and starts every replica. If any step fails, everything created so
 * far (containers and secrets) is removed before the error is rethrown.
 */
export async function deployReplicas(input: {
  podman: PodmanClient;
  plan: HttpServicePlan;
  secretValues: Record<string, string>;
  redactor: Redactor;
  /** What a replica may get of the host; checked on each before it starts. */
  confinement: Confinement;
  signal: AbortSignal;
}): Promise<{ ready: string[] }> {
  const { podman, plan } = input;
  const secrets: string[] = [];
  const containers: string[] = [];
  let creating: string | undefined;
  try {
    for (const [variable, value] of Object.entries(input.secretValues)) {
      const name = serviceSecretName(plan.name, variable);
      input.redactor.remember(value);
      secrets.push(name); // before the call: a reply lost after Podman stored it must not leak it
      await putSecret(podman, name, value);
      plan.secretEnv[variable] = name;
    }
    for (let i = 0; i < plan.replicas; i++) {
      creating = replicaContainerName(plan.name, i);
      const created = await podman.json<{ Id: string }>('POST', '/libpod/containers/create', {
        body: replicaSpec(plan, i),
        signal: input.signal,
        notFound: {
          code: 'IMAGE_NOT_FOUND',
          message: `Image "${plan.image}" is not present. Pull or build it first.`,
        },
        conflict: {
          message: `A container for ${plan.name} replica ${i} already exists. DELETE /containers/${plan.name} first.`,
        },
      });
      containers.push(created.Id);
      creating = undefined;
      await assertConfined(
        podman,
        [created.Id],
        input.confinement,
        `Replica ${i} of ${plan.name} may not run`,
      );
      await podman.call('POST', `/libpod/containers/${created.Id}/start`, {
        okStatuses: [304],
        signal: input.signal,
      });
    }
    const ready: string[] = [];
    for (const id of containers) if (await waitReady(podman, id, plan, input.signal)) ready.push(id);
    return { ready };
  } catch (err) {
    // By name too: a create cut off by the caller's signal may have made a container whose id we
    // never got. Not after a conflict: that name belongs to a container this deploy did not make.
    if (creating && !(isMcpPodmanError(err) && err.code === 'CONFLICT')) containers.push(creating);
    await Promise.all(
      containers.map((id) =>
        podman
          .call('DELETE', `/libpod/containers/${id}`, {
            query: { force: true, timeout: 0 },
            okStatuses: [404],
          })
          .catch(() => undefined),
      ),
    );
    await deleteSecrets(podman, secrets);
    throw err;
  }
}
