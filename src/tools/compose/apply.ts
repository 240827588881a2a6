import { randomBytes } from 'node:crypto';
import { lstat, mkdir, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isMcpPodmanError, McpPodmanError, toMcpPodmanError } from '../../errors.js';
import type { PodmanClient } from '../../podman/client.js';
import { assertConfined, type Confinement } from '../confinement.js';
import { containerPath, createAndStart } from '../containers.js';
import type { BindMount, DependencyCondition } from './model.js';
import { hostPathsToCreate } from './mounts.js';
import type { Plan } from './plan.js';
import { containerSpec, hashOf } from './spec.js';
import { waitCompleted, waitHealthy } from './wait.js';

/**
 * libpod's name for "also remove the container's anonymous volumes" is `volumes`; the Docker API's
 * `v` is ignored on /libpod paths (measured on Podman 4.3.1), which left anonymous volumes behind.
 */
export const REMOVE_WITH_ANONYMOUS_VOLUMES = { force: true, volumes: true, timeout: 0 };

export interface ApplyOptions {
  client: PodmanClient;
  plan: Plan;
  signal: AbortSignal;
  /** Seconds a container being replaced gets to stop before it is killed. */
  stopTimeout: number;
  /** Bound on waiting for a service_completed_successfully dependency. */
  maxWaitMs: number;
  /** What the containers may get of the host: checked on each one before it starts. */
  confinement: Confinement;
  progress(message: string): Promise<void>;
}

export type ServiceAction = 'created' | 'recreated' | 'started' | 'unchanged';

export interface ServiceOutcome {
  service: string;
  container: string;
  id: string;
  action: ServiceAction;
}

export interface ApplyResult {
  services: ServiceOutcome[];
  networksCreated: string[];
  volumesCreated: string[];
}

/**
 * What this call changed, so a failure can undo exactly that and nothing that existed before.
 * Names are written before each create: a create cut off by a cancel may still have happened in
 * Podman, and the plan showed the name was free, so whatever holds it at rollback is ours.
 */
class Journal {
  readonly networks: string[] = [];
  readonly volumes: string[] = [];
  readonly containers: string[] = [];
  /** Old containers moved aside for a recreate; put back on failure, removed on success. */
  readonly replaced: { id: string; name: string; wasRunning: boolean; renamed: boolean }[] = [];
  /** Existing stopped containers this call started. */
  readonly started: string[] = [];
  /** Each bind source's chain of folders this call made, deepest first; removed again if still empty. */
  readonly dirs: string[][] = [];
}

/**
 * Creates what the plan needs in dependency order: networks, volumes, then each service once its
 * dependencies meet their conditions. A service whose config hash is unchanged is left alone
 * (started if stopped); a changed one is replaced. On any failure, or a cancel, the journal is
 * rolled back and the error says so.
 */
export async function applyPlan(options: ApplyOptions): Promise<ApplyResult> {
  const journal = new Journal();
  try {
    const outcomes = await run(options, journal);
    for (const old of journal.replaced) {
      // Not its anonymous volumes: they may hold a database's data (an image VOLUME); they stay, as
      // compose leaves them, for the user to recover or prune.
      await options.client
        .call('DELETE', containerPath(old.id), { query: { force: true, timeout: 0 } })
        .catch(() => undefined);
    }
    return { services: outcomes, networksCreated: journal.networks, volumesCreated: journal.volumes };
  } catch (err) {
    const undone = await rollback(options, journal);
    const cause = toMcpPodmanError(err);
    const summary = [
      undone.containersRemoved.length ? `containers ${undone.containersRemoved.join(', ')} removed` : '',
      undone.containersRestored.length
        ? `${undone.containersRestored.length} replaced container(s) restored`
        : '',
      undone.containersStopped.length
        ? `${undone.containersStopped.length} started container(s) stopped again`
        : '',
      undone.networksRemoved.length ? `networks ${undone.networksRemoved.join(', ')} removed` : '',
      undone.volumesRemoved.length ? `volumes ${undone.volumesRemoved.join(', ')} removed` : '',
      undone.foldersRemoved.length ? `folders ${undone.foldersRemoved.join(', ')} removed` : '',
    ].filter(Boolean);
    throw new McpPodmanError(
      cause.code,
      `${cause.message} ${summary.length ? `Rolled back what this call created (${summary.join('; ')}).` : 'Nothing had been created.'}` +
        (undone.failures.length ? ` Rollback left some things behind: ${undone.failures.join('; ')}.` : ''),
      { cause: err, details: { ...cause.details, rolledBack: undone } },
    );
  }
}

async function run(options: ApplyOptions, journal: Journal): Promise<ServiceOutcome[]> {
  const { client, plan, signal } = options;
  const project = plan.project;
  for (const network of plan.networksToCreate) {
    await options.progress(`Creating network ${network.name}`);
    await recorded(journal.networks, network.name, () =>
      client.json('POST', '/libpod/networks/create', {
        body: { name: network.name, labels: network.labels, dns_enabled: true, internal: network.internal },
        signal,
      }),
    );
  }
  for (const volume of plan.volumesToCreate) {
    await options.progress(`Creating volume ${volume.name}`);
    await recorded(journal.volumes, volume.name, () =>
      client.json('POST', '/libpod/volumes/create', {
        body: { Name: volume.name, Labels: volume.labels },
        signal,
      }),
    );
  }

  const ids = new Map<string, string>();
  const waits = new Map<string, Promise<void>>();
  const dependencyMet = (dep: string, condition: DependencyCondition): Promise<void> => {
    const key = `${dep}:${condition}`;
    if (!waits.has(key)) {
      const target = { client, id: ids.get(dep)!, service: dep, signal };
      if (condition === 'service_healthy') {
        waits.set(
          key,
          options.progress(`Waiting for ${dep} to be healthy`).then(() => waitHealthy(target)),
        );
      } else if (condition === 'service_completed_successfully') {
        waits.set(
          key,
          options
            .progress(`Waiting for ${dep} to complete`)
            .then(() => waitCompleted({ ...target, maxMs: options.maxWaitMs })),
        );
      } else waits.set(key, Promise.resolve());
    }
    return waits.get(key)!;
  };

  const outcomes: ServiceOutcome[] = [];
  for (const name of project.order) {
    const { service, existing, imageId } = plan.services[name]!;
    for (const [dep, condition] of Object.entries(service.dependsOn)) await dependencyMet(dep, condition);
    const spec = containerSpec(project.name, service, imageId ?? '');
    let outcome: ServiceOutcome;
    if (existing && existing.hash === hashOf(spec)) {
      if (!existing.running) {
        await options.progress(`Starting ${service.containerName}`);
        await assertConfined(
          client,
          [existing.id],
          options.confinement,
          `${service.containerName} may not start`,
        );
        await client.call('POST', containerPath(existing.id, '/start'), { okStatuses: [304], signal });
        journal.started.push(existing.id);
      } else await options.progress(`${service.containerName} is up to date`);
      outcome = {
        service: name,
        container: service.containerName,
        id: existing.id,
        action: existing.running ? 'unchanged' : 'started',
      };
    } else {
      // Folders first: a failure there must not have stopped and renamed the old container for nothing.
      await createHostPaths(name, service.binds, journal);
      if (existing) await moveAside(options, journal, { ...existing, name: service.containerName });
      await options.progress(`${existing ? 'Recreating' : 'Creating'} ${service.containerName}`);
      const created = await recorded(journal.containers, service.containerName, () =>
        createAndStart(client, spec, {
          signal,
          confinement: { ...options.confinement, replacing: journal.replaced.map((r) => r.id) },
        }),
      ).catch((err: unknown) => {
        throw serviceFailed(name, err);
      });
      outcome = {
        service: name,
        container: service.containerName,
        id: created.id,
        action: existing ? 'recreated' : 'created',
      };
    }
    ids.set(name, outcome.id);
    outcomes.push(outcome);
  }
  return outcomes;
}

/** Bind sources compose would create (short syntax, bind.create_host_path) that are missing. */
async function createHostPaths(service: string, binds: BindMount[], journal: Journal): Promise<void> {
  for (const dir of hostPathsToCreate(binds)) {
    const first = await mkdir(dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      throw new McpPodmanError(
        'INVALID_PARAMS',
        `Service "${service}" binds "${dir}", which does not exist and cannot be created (${err.code ?? err.message}). Create it, or change the volume's source.`,
        { cause: err, details: { service, path: dir } },
      );
    });
    if (first) journal.dirs.push(madeChain(first, dir));
  }
}

/** The folders `mkdir -p` made on the way from `first` (the topmost) to `dir`, deepest first. */
function madeChain(first: string, dir: string): string[] {
  const chain: string[] = [];
  for (let at = dir; at.length >= first.length; at = dirname(at)) {
    chain.push(at);
    if (at === first || at === dirname(at)) break;
  }
  return chain;
}

/** Journals a name, then creates it; a conflict means the name is someone else's, so it is dropped. */
async function recorded<T>(journal: string[], name: string, create: () => Promise<T>): Promise<T> {
  journal.push(name);
  try {
    return await create();
  } catch (err) {
    if (isMcpPodmanError(err) && err.code === 'CONFLICT') journal.splice(journal.lastIndexOf(name), 1);
    throw err;
  }
}

/** Stops a container whose config changed and renames it, so the new one can take its name. */
async function moveAside(
  options: ApplyOptions,
  journal: Journal,
  old: { id: string; name: string; running: boolean },
): Promise<void> {
  const { client } = options;
  await options.progress(`Stopping ${old.name} (its configuration changed)`);
  if (old.running) {
    await client.call('POST', containerPath(old.id, '/stop'), {
      query: { timeout: options.stopTimeout },
      okStatuses: [304],
    });
  }
  const entry = { id: old.id, name: old.name, wasRunning: old.running, renamed: false };
  journal.replaced.push(entry);
  await client.call('POST', containerPath(old.id, '/rename'), {
    query: { name: `${old.name}-replaced-${randomBytes(4).toString('hex')}` },
  });
  entry.renamed = true;
}

function serviceFailed(service: string, err: unknown): McpPodmanError {
  const coded = toMcpPodmanError(err);
  return new McpPodmanError(coded.code, `Service "${service}" failed: ${coded.message}`, {
    cause: err,
    details: { ...coded.details, service },
  });
}

interface RollbackReport {
  containersRemoved: string[];
  containersRestored: string[];
  containersStopped: string[];
  networksRemoved: string[];
  volumesRemoved: string[];
  foldersRemoved: string[];
  failures: string[];
}

/** Undoes the journal newest first. Not bound to the call's signal: a cancel must still clean up. */
async function rollback(
  { client, stopTimeout, confinement }: Pick<ApplyOptions, 'client' | 'stopTimeout' | 'confinement'>,
  journal: Journal,
): Promise<RollbackReport> {
  const report: RollbackReport = {
    containersRemoved: [],
    containersRestored: [],
    containersStopped: [],
    networksRemoved: [],
    volumesRemoved: [],
    foldersRemoved: [],
    failures: [],
  };
  const attempt = async (what: string, action: () => Promise<unknown>, done: string[], label: string) => {
    try {
      await action();
      done.push(label);
    } catch (err) {
      // Already gone (a create that never happened, a start failure that cleaned up): nothing to undo.
      if (isMcpPodmanError(err) && err.code === 'NOT_FOUND') return;
      report.failures.push(`${what}: ${isMcpPodmanError(err) ? err.message : String(err)}`);
    }
  };
  const absent = { code: 'NOT_FOUND' as const, message: 'absent' };
  for (const name of [...journal.containers].reverse()) {
    await attempt(
      `remove container ${name}`,
      () =>
        client.call('DELETE', containerPath(name), {
          query: REMOVE_WITH_ANONYMOUS_VOLUMES,
          notFound: absent,
        }),
      report.containersRemoved,
      name,
    );
  }
  for (const old of [...journal.replaced].reverse()) {
    await attempt(
      `restore container ${old.name}`,
      async () => {
        if (old.renamed)
          await client.call('POST', containerPath(old.id, '/rename'), { query: { name: old.name } });
        if (!old.wasRunning) return;
        await assertConfined(client, [old.id], confinement, `${old.name} may not start again`);
        await client.call('POST', containerPath(old.id, '/start'), { okStatuses: [304] });
      },
      report.containersRestored,
      old.name,
    );
  }
  for (const id of journal.started) {
    await attempt(
      `stop container ${id.slice(0, 12)}`,
      () =>
        client.call('POST', containerPath(id, '/stop'), {
          query: { timeout: stopTimeout },
          okStatuses: [304],
        }),
      report.containersStopped,
      id,
    );
  }
  for (const chain of [...journal.dirs].reverse()) {
    // Exactly the folders this call made, deepest first, each only while it is still an empty
    // folder (never a symlink swapped in for one); the first that is not stops the chain.
    for (const dir of chain) {
      const made = await lstat(dir).then(
        (st) => st.isDirectory() && !st.isSymbolicLink(),
        () => false,
      );
      if (
        !made ||
        !(await rmdir(dir).then(
          () => true,
          () => false,
        ))
      )
        break;
      report.foldersRemoved.push(dir);
    }
  }
  for (const name of [...journal.volumes].reverse()) {
    await attempt(
      `remove volume ${name}`,
      () =>
        client.call('DELETE', `/libpod/volumes/${encodeURIComponent(name)}`, {
          query: { force: true },
          notFound: absent,
        }),
      report.volumesRemoved,
      name,
    );
  }
  for (const name of [...journal.networks].reverse()) {
    await attempt(
      `remove network ${name}`,
      () => client.call('DELETE', `/libpod/networks/${encodeURIComponent(name)}`, { notFound: absent }),
      report.networksRemoved,
      name,
    );
  }
  return report;
}
