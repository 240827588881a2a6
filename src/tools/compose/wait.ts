import { setTimeout as sleep } from 'node:timers/promises';
import { isMcpPodmanError, McpPodmanError } from '../../errors.js';
import type { PodmanClient } from '../../podman/client.js';
import { containerPath } from '../containers.js';

interface HealthState {
  Config?: {
    Healthcheck?: { Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number } | null;
  };
  State?: { Running?: boolean; Status?: string; ExitCode?: number; Health?: { Status?: string } | null };
}

const MS_PER_NS = 1e-6;

export interface WaitTarget {
  client: PodmanClient;
  id: string;
  service: string;
  signal: AbortSignal;
}

/**
 * Waits until a container is healthy. Without systemd Podman's healthcheck timers never fire, so
 * the check is run here (GET .../healthcheck) at the container's interval. Podman itself keeps the
 * failing streak and start period, and marks the container unhealthy once retries run out.
 */
export async function waitHealthy(target: WaitTarget): Promise<void> {
  const { client, id, service, signal } = target;
  const info = await inspect(target);
  const hc = info.Config?.Healthcheck ?? {};
  const intervalMs = (hc.Interval || 30e9) * MS_PER_NS;
  const timeoutMs = (hc.Timeout || 30e9) * MS_PER_NS;
  const retries = hc.Retries || 3;
  const startPeriodMs = (hc.StartPeriod || 0) * MS_PER_NS;
  // A backstop in case Podman never settles on unhealthy: every allowed try, each taking its timeout.
  const deadline = Date.now() + startPeriodMs + (intervalMs + timeoutMs) * (retries + 1);
  let checks = 0;
  for (;;) {
    checks++;
    const result = await client
      .json<{ Status?: string }>('GET', containerPath(id, '/healthcheck'), { signal })
      .catch((err: unknown) => {
        if (isMcpPodmanError(err) && /no defined healthcheck/.test(String(err.details.podman))) {
          throw new McpPodmanError(
            'INVALID_PARAMS',
            `Service "${service}" has no healthcheck, but another service waits for it to be healthy. Add one, or use condition: service_started.`,
            { details: { service, id } },
          );
        }
        // A container that stopped cannot run its check; its state below says why.
        if (isMcpPodmanError(err) && err.code !== 'CANCELLED' && err.code !== 'PODMAN_NOT_CONNECTED') {
          return { Status: undefined };
        }
        throw err;
      });
    if (result.Status === 'healthy') return;
    const state = (await inspect(target)).State;
    if (!state?.Running) {
      throw new McpPodmanError(
        'PODMAN_ERROR',
        `Service "${service}" exited (code ${state?.ExitCode ?? '?'}) before it became healthy. Check its logs with podman_logs.`,
        { details: { service, id } },
      );
    }
    if (state.Health?.Status === 'unhealthy' || Date.now() > deadline) {
      throw new McpPodmanError(
        'PODMAN_ERROR',
        `Service "${service}" did not become healthy (${checks} checks). Check its healthcheck and logs (podman_logs).`,
        { details: { service, id, checks, health: state.Health?.Status } },
      );
    }
    await sleep(intervalMs, undefined, { signal }).catch(() => {
      throw new McpPodmanError('CANCELLED', 'The request was cancelled.');
    });
  }
}

/** Waits for a container to exit and returns its exit code; a TIMEOUT error after maxMs. */
export async function waitExit(target: WaitTarget & { maxMs: number }): Promise<number> {
  const bound = AbortSignal.any([target.signal, AbortSignal.timeout(target.maxMs)]);
  try {
    const code = await target.client.json<number>('POST', containerPath(target.id, '/wait'), {
      query: { condition: 'stopped' },
      signal: bound,
    });
    return Number(code);
  } catch (err) {
    if (!target.signal.aborted && bound.aborted) {
      throw new McpPodmanError(
        'TIMEOUT',
        `Service "${target.service}" did not exit within ${target.maxMs} ms; it is still running.`,
        { details: { service: target.service, id: target.id } },
      );
    }
    throw err;
  }
}

/** service_completed_successfully: the dependency must exit, and with code 0. */
export async function waitCompleted(target: WaitTarget & { maxMs: number }): Promise<void> {
  const code = await waitExit(target);
  if (code !== 0) {
    throw new McpPodmanError(
      'PODMAN_ERROR',
      `Service "${target.service}" exited with code ${code}, and others wait for it to complete successfully. Check its logs with podman_logs.`,
      { details: { service: target.service, id: target.id, exitCode: code } },
    );
  }
}

async function inspect(target: WaitTarget): Promise<HealthState> {
  return target.client.json<HealthState>('GET', containerPath(target.id, '/json'), { signal: target.signal });
}
