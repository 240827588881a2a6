import type { PodmanClient } from '../../podman/client.js';
import { LABELS } from '../../podman/labels.js';
import type { TemplateKind } from '../templates.js';
import { NO_TEMPLATE, SERVICE_LABELS } from './labels.js';
import type { Replica, Service, ServiceState } from './model.js';

/** The fields of Podman's container list this module reads. */
export interface ListedContainer {
  Id: string;
  Names: string[] | null;
  State: string;
  Labels: Record<string, string> | null;
  Ports: { host_ip?: string; container_port: number; host_port: number; protocol?: string }[] | null;
  StartedAt?: number;
  ExitCode?: number;
  Restarts?: number;
}

export type Health = Replica['health'];

/** What the health monitor knows of one replica container. */
export interface ReplicaHealth {
  health: Health;
  restarts: number;
}

/** Exit codes of a stop (clean exit, SIGINT, SIGKILL, SIGTERM): a service stopped, it did not fail. */
const STOP_EXIT_CODES = new Set([0, 130, 137, 143]);

/** Every replica container of one service, or of all services. */
export async function listServiceContainers(podman: PodmanClient, name?: string): Promise<ListedContainer[]> {
  const label = name ? `${SERVICE_LABELS.service}=${name}` : SERVICE_LABELS.service;
  return podman.json<ListedContainer[]>('GET', '/libpod/containers/json', {
    // Only containers we created: a service label alone could be put on any container by anyone.
    query: { all: true, filters: { label: [label, `${LABELS.managed}=true`] } },
  });
}

export function labelOf(c: ListedContainer, key: string): string {
  return c.Labels?.[key] ?? '';
}

export function hostPortOf(c: ListedContainer): number | undefined {
  const port = Number(labelOf(c, SERVICE_LABELS.port));
  const binding = c.Ports?.find((p) => p.container_port === port) ?? c.Ports?.[0];
  return binding?.host_port || undefined;
}

export function healthOf(c: ListedContainer, known: ReplicaHealth | undefined): Health {
  if (c.State !== 'running') return 'none';
  if (!labelOf(c, SERVICE_LABELS.healthPath)) return 'none';
  return known?.health ?? 'starting';
}

/** A replica takes traffic when it runs and is healthy (or has no health check). */
export function inRotation(c: ListedContainer, known: ReplicaHealth | undefined): boolean {
  const health = healthOf(c, known);
  return c.State === 'running' && (health === 'healthy' || health === 'none') && hostPortOf(c) !== undefined;
}

function replicaOf(c: ListedContainer, known: ReplicaHealth | undefined): Replica {
  const hostPort = hostPortOf(c);
  return {
    id: c.Id.slice(0, 12),
    name: c.Names?.[0] ?? c.Id.slice(0, 12),
    state: c.State,
    health: healthOf(c, known),
    ...(hostPort ? { host_port: hostPort } : {}),
    restarts: (known?.restarts ?? 0) + (c.Restarts ?? 0),
    ...(c.StartedAt && c.StartedAt > 0 ? { started_at: new Date(c.StartedAt * 1000).toISOString() } : {}),
  };
}

function stateOf(containers: ListedContainer[], replicas: Replica[], desired: number): ServiceState {
  const running = containers.filter((c) => c.State === 'running').length;
  const serving = replicas.filter(
    (r) => r.state === 'running' && (r.health === 'healthy' || r.health === 'none'),
  );
  if (running === 0) {
    if (containers.some((c) => c.State === 'created' || c.State === 'initialized')) return 'starting';
    return containers.every((c) => STOP_EXIT_CODES.has(c.ExitCode ?? 0)) ? 'stopped' : 'failed';
  }
  if (serving.length >= desired) return 'running';
  if (serving.length === 0) return replicas.some((r) => r.health === 'starting') ? 'starting' : 'failed';
  return 'degraded';
}

/** Groups replica containers into services; everything comes from labels and Podman's state. */
export function servicesFrom(
  containers: ListedContainer[],
  health: (id: string) => ReplicaHealth | undefined,
): Service[] {
  const groups = new Map<string, ListedContainer[]>();
  for (const c of containers) {
    const name = labelOf(c, SERVICE_LABELS.service);
    if (!name) continue;
    groups.set(name, [...(groups.get(name) ?? []), c]);
  }
  return [...groups.entries()]
    .map(([name, group]) => {
      group.sort(
        (a, b) => Number(labelOf(a, SERVICE_LABELS.replica)) - Number(labelOf(b, SERVICE_LABELS.replica)),
      );
      const first = group[0]!;
      const replicas = group.map((c) => replicaOf(c, health(c.Id)));
      const desired = Number(labelOf(first, SERVICE_LABELS.replicas)) || group.length;
      return {
        name,
        template: labelOf(first, SERVICE_LABELS.template) || NO_TEMPLATE,
        kind: (labelOf(first, SERVICE_LABELS.kind) || 'http') as Exclude<TemplateKind, 'mcp-stdio'>,
        state: stateOf(group, replicas, desired),
        replicas_desired: desired,
        replicas,
        routes: {
          host: `${name}.localhost`,
          ...(labelOf(first, SERVICE_LABELS.kind) === 'mcp-http' ? { mcp: `/servers/${name}/mcp` } : {}),
        },
        created_at: labelOf(first, SERVICE_LABELS.createdAt),
        labels: userLabels(first.Labels ?? {}),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The labels a user gave (and the service identity), without the Traefik and bookkeeping ones. */
function userLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith('traefik.') || k === SERVICE_LABELS.replica) continue;
    out[k] = v;
  }
  return out;
}
