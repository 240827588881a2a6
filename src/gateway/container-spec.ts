import { hostname } from 'node:os';
import { MANAGED_LABELS } from '../podman/labels.js';
import { parseMemory } from '../tools/schemas.js';
import type { CatalogEntry } from './catalog-schema.js';

export const GATEWAY_LABELS = {
  gateway: 'io.mcp-podman.gateway',
  owner: 'io.mcp-podman.gateway.owner',
  mount: 'io.mcp-podman.mount',
  entry: 'io.mcp-podman.entry',
  session: 'io.mcp-podman.session',
} as const;

/** Identifies this process on this host, so a later instance can tell its leftovers from a live gateway's. */
export function ownerLabel(pid = process.pid): string {
  return `${hostname()}:${pid}`;
}

export interface ResolvedVolume {
  source: string;
  target: string;
  writable: boolean;
}

export interface SpecInput {
  entry: CatalogEntry;
  prefix: string;
  gatewayId: string;
  image: string;
  /** Plain env values (defaults and what the user gave for non-secret variables). */
  env: Record<string, string>;
  /** Env variable name -> Podman secret name, for secret variables. */
  secretEnv: Record<string, string>;
  volumes: ResolvedVolume[];
  name: string;
  sessionId?: string;
}

export function networkOf(entry: CatalogEntry): string {
  return entry.network ?? (entry.transport.type === 'http' ? 'bridge' : 'none');
}

/**
 * The container spec of a mount: hardened by default. All capabilities dropped, no new
 * privileges, a read-only root with a tmpfs /tmp, no network, memory/cpu/pids limits, an init
 * process (so SIGTERM works and zombies are reaped), no host environment, SELinux labelling left on.
 */
export function hardenedSpec(input: SpecInput): Record<string, unknown> {
  const { entry } = input;
  const network = networkOf(entry);
  const spec: Record<string, unknown> = {
    name: input.name,
    image: input.image,
    entrypoint: entry.command,
    command: entry.command || entry.args.length ? entry.args : undefined,
    env: input.env,
    secret_env: input.secretEnv,
    secrets: entry.secrets
      .filter((s) => s.type === 'mount')
      .map((s) => ({ source: s.name, target: s.target ?? s.name })),
    labels: {
      ...MANAGED_LABELS,
      [GATEWAY_LABELS.gateway]: input.gatewayId,
      [GATEWAY_LABELS.owner]: ownerLabel(),
      [GATEWAY_LABELS.mount]: input.prefix,
      [GATEWAY_LABELS.entry]: entry.id,
      ...(input.sessionId ? { [GATEWAY_LABELS.session]: input.sessionId } : {}),
    },
    stdin: entry.transport.type === 'stdio',
    terminal: false,
    init: true,
    cap_drop: ['ALL'],
    cap_add: entry.relax.capAdd.length ? entry.relax.capAdd : undefined,
    no_new_privileges: true,
    read_only_filesystem: entry.relax.readOnlyRootfs,
    mounts: [
      { type: 'tmpfs', source: 'tmpfs', destination: '/tmp', options: ['rw', 'nosuid', 'nodev', 'size=64m'] },
      ...input.volumes
        .filter((v) => v.source.startsWith('/'))
        .map((v) => ({
          type: 'bind',
          source: v.source,
          destination: v.target,
          options: [v.writable ? 'rw' : 'ro'],
        })),
    ],
    volumes: input.volumes
      .filter((v) => !v.source.startsWith('/'))
      .map((v) => ({ Name: v.source, Dest: v.target, Options: [v.writable ? 'rw' : 'ro'] })),
    resource_limits: {
      memory: { limit: parseMemory(entry.resources.memory) },
      cpu: { quota: Math.round(entry.resources.cpus * 100_000), period: 100_000 },
      pids: { limit: entry.resources.pids },
    },
    user: entry.relax.user,
    netns: { nsmode: ['none', 'bridge', 'host', 'private'].includes(network) ? network : 'bridge' },
  };
  if (!['none', 'bridge', 'host', 'private'].includes(network)) spec.Networks = { [network]: {} };
  if (entry.transport.type === 'http') {
    // Published on loopback only, on a port Podman picks.
    spec.portmappings = [
      { host_ip: '127.0.0.1', container_port: entry.transport.port, host_port: 0, protocol: 'tcp' },
    ];
  }
  return spec;
}

/** What a mount is allowed to do, for the user to see in registry_add and registry_status. */
export function permissionsOf(entry: CatalogEntry, volumes: ResolvedVolume[]): Record<string, unknown> {
  return {
    network: networkOf(entry),
    rootFilesystem: entry.relax.readOnlyRootfs ? 'read-only (tmpfs /tmp)' : 'writable (relaxed by the entry)',
    capabilities: entry.relax.capAdd.length
      ? `none but ${entry.relax.capAdd.join(', ')}`
      : 'none (all dropped)',
    noNewPrivileges: true,
    memory: entry.resources.memory,
    cpus: entry.resources.cpus,
    pids: entry.resources.pids,
    volumes: volumes.map((v) => `${v.source}:${v.target}:${v.writable ? 'rw' : 'ro'}`),
    secrets: [
      ...entry.secrets.map((s) => s.name),
      ...Object.entries(entry.env)
        .filter(([, s]) => s.secret)
        .map(([k]) => `env ${k}`),
    ],
  };
}
