import type { Logger } from 'pino';
import type { PodmanClient } from '../../podman/client.js';
import { assertConfined } from '../../tools/confinement.js';
import { SERVICE_LABELS } from './labels.js';
import { hostPortOf, type ListedContainer, labelOf, type ReplicaHealth } from './state.js';

/** Consecutive failed checks after which a replica is unhealthy and restarted. */
export const FAILURES_TO_RESTART = 3;

interface HealthRecord extends ReplicaHealth {
  failures: number;
  /** When it was last probed; a replica is probed once per its service's interval. */
  checkedAt: number;
}

/** GETs a replica's health path on its published port; any answer below 400 is healthy. */
export async function probe(hostPort: number, path: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${hostPort}${path}`, {
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.status < 400;
  } catch {
    return false;
  }
}

/**
 * Health of service replicas, kept in memory by container id. Each round probes every running
 * replica that has a health path; after FAILURES_TO_RESTART failures in a row the replica is
 * unhealthy (out of rotation) and is restarted, then counts as starting until a probe succeeds.
 */
export class HealthMonitor {
  private readonly known = new Map<string, HealthRecord>();

  constructor(
    private readonly deps: {
      podman: () => Promise<PodmanClient>;
      log: Logger;
      timeoutMs: number;
      /** Interval for services whose template names none (HEALTH_CHECK_INTERVAL). */
      defaultIntervalMs: number;
      onRestart: (service: string) => void;
      /** Whether replicas may share the host's network (checked again before a restart). */
      allowHostNetwork: boolean;
    },
  ) {}

  get(id: string): ReplicaHealth | undefined {
    return this.known.get(id);
  }

  /** One round over the given containers; forgets containers that are gone. Returns how many it restarted. */
  async round(containers: ListedContainer[]): Promise<number> {
    const ids = new Set(containers.map((c) => c.Id));
    for (const id of this.known.keys()) if (!ids.has(id)) this.known.delete(id);
    const restarted = await Promise.all(containers.map((c) => this.checkOne(c)));
    return restarted.filter(Boolean).length;
  }

  /** Probes one replica when it is due; true when it had to be restarted. */
  private async checkOne(c: ListedContainer): Promise<boolean> {
    const path = labelOf(c, SERVICE_LABELS.healthPath);
    const port = hostPortOf(c);
    if (c.State !== 'running' || !path || !port) return false;
    const record = this.known.get(c.Id) ?? { health: 'starting', restarts: 0, failures: 0, checkedAt: 0 };
    this.known.set(c.Id, record);
    if (record.health === 'unhealthy') return false; // a restart is under way
    const intervalMs =
      Number(labelOf(c, SERVICE_LABELS.healthInterval)) * 1000 || this.deps.defaultIntervalMs;
    // Rounds run at least as often as the shortest interval; a slower service skips the rounds in between.
    if (Date.now() - record.checkedAt < intervalMs * 0.9) return false;
    record.checkedAt = Date.now();
    if (await probe(port, path, this.deps.timeoutMs)) {
      record.health = 'healthy';
      record.failures = 0;
      return false;
    }
    record.failures++;
    if (record.failures < FAILURES_TO_RESTART) return false;
    record.health = 'unhealthy';
    const service = labelOf(c, SERVICE_LABELS.service);
    this.deps.log.warn({ service, container: c.Id.slice(0, 12), path }, 'replica unhealthy; restarting it');
    try {
      const podman = await this.deps.podman();
      // A restart resolves the replica's host folders again: they must still lead where they did.
      await assertConfined(
        podman,
        [c.Id],
        { allowHostNetwork: this.deps.allowHostNetwork },
        `${service} may not restart`,
      );
      await podman.call('POST', `/libpod/containers/${c.Id}/restart`, { query: { t: 2 } });
      record.restarts++;
      this.deps.onRestart(service);
    } catch (err) {
      this.deps.log.warn({ err, service }, 'restarting an unhealthy replica failed');
    } finally {
      record.health = 'starting';
      record.failures = 0;
    }
    return true;
  }

  /** Records a replica that has just answered its health path (as a deploy waits for it to). */
  markHealthy(id: string): void {
    const record = this.known.get(id);
    this.known.set(id, {
      health: 'healthy',
      restarts: record?.restarts ?? 0,
      failures: 0,
      checkedAt: Date.now(),
    });
  }

  /** Marks a freshly started replica as not yet checked. */
  reset(id: string): void {
    this.known.delete(id);
  }
}
