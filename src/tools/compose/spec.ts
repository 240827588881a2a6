import { createHash } from 'node:crypto';
import { MANAGED_LABELS } from '../../podman/labels.js';
import { COMPOSE_LABELS, projectLabels, type RuntimeOptions, type ServiceSpec } from './model.js';

const NS_PER_MS = 1_000_000;
const CPU_PERIOD = 100_000;

/**
 * libpod's SpecGenerator for a service. The config hash covers the spec and the image id, so a
 * change in the file or a rebuilt image makes `up` recreate the container, and nothing else does.
 */
export function containerSpec(
  project: string,
  service: ServiceSpec,
  imageId: string,
): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    name: service.containerName,
    image: service.image,
    command: service.command,
    entrypoint: service.entrypoint,
    env: service.environment,
    labels: {
      ...service.labels,
      ...projectLabels(project),
      [COMPOSE_LABELS.service]: service.name,
      ...MANAGED_LABELS,
    },
    portmappings: service.ports,
    mounts: [
      ...service.binds.map((b) => ({
        type: 'bind',
        source: b.source,
        destination: b.destination,
        options: b.options,
      })),
      ...service.tmpfs.map((t) => ({
        type: 'tmpfs',
        source: 'tmpfs',
        destination: t.destination,
        options: t.options,
      })),
    ],
    // An empty Name makes Podman create an anonymous volume (it cannot carry labels).
    volumes: service.volumes.map((v) => ({ Name: v.volume ?? '', Dest: v.destination, Options: v.options })),
    ...runtimeSpec(service.runtime),
    netns: { nsmode: 'bridge' },
    // The service name resolves to this container on each of its networks (aardvark-dns).
    Networks: Object.fromEntries(
      Object.entries(service.networks).map(([network, aliases]) => [
        network,
        { aliases: [service.name, ...aliases] },
      ]),
    ),
    ...(service.restart
      ? { restart_policy: service.restart.policy, restart_tries: service.restart.retries }
      : {}),
    ...(service.healthcheck
      ? {
          healthconfig: {
            Test: service.healthcheck.test,
            Interval: service.healthcheck.intervalMs * NS_PER_MS,
            Timeout: service.healthcheck.timeoutMs * NS_PER_MS,
            Retries: service.healthcheck.retries,
            StartPeriod: service.healthcheck.startPeriodMs * NS_PER_MS,
          },
        }
      : {}),
    ...(service.healthcheckDisabled ? { healthconfig: { Test: ['NONE'] } } : {}),
  };
  const hash = createHash('sha256').update(stableJson({ spec, imageId })).digest('hex');
  (spec.labels as Record<string, string>)[COMPOSE_LABELS.configHash] = hash;
  return spec;
}

/**
 * The runtime options as libpod names them. Only set keys are added, so a file that uses none of
 * them hashes as it did before they existed and its containers are not recreated.
 */
function runtimeSpec(r: RuntimeOptions): Record<string, unknown> {
  const limits = {
    ...(r.memoryBytes ? { memory: { limit: r.memoryBytes } } : {}),
    ...(r.cpus ? { cpu: { quota: Math.round(r.cpus * CPU_PERIOD), period: CPU_PERIOD } } : {}),
    ...(r.pidsLimit ? { pids: { limit: r.pidsLimit } } : {}),
  };
  const entries: [string, unknown][] = [
    ['work_dir', r.workingDir],
    ['user', r.user],
    ['hostname', r.hostname],
    ['hostadd', r.extraHosts.length ? r.extraHosts : undefined],
    ['cap_drop', r.capDrop.length ? r.capDrop : undefined],
    ['no_new_privileges', r.noNewPrivileges || undefined],
    ['stop_signal', r.stopSignal],
    ['stop_timeout', r.stopGraceSeconds],
    ['init', r.init || undefined],
    ['read_only_filesystem', r.readOnly || undefined],
    ['expose', Object.keys(r.expose).length ? r.expose : undefined],
    ['shm_size', r.shmSizeBytes],
    ['resource_limits', Object.keys(limits).length ? limits : undefined],
    ['r_limits', r.ulimits.length ? r.ulimits : undefined],
  ];
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}

export function hashOf(spec: Record<string, unknown>): string {
  return (spec.labels as Record<string, string>)[COMPOSE_LABELS.configHash] ?? '';
}

/** JSON with sorted keys, so equal specs hash equally whatever order the file listed things in. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
