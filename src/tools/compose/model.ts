import type { PortMapping } from '../schemas.js';

/**
 * The compose project after parsing, interpolation and validation: everything up/down/ps need,
 * already resolved (absolute bind paths, real network and volume names, start order).
 */

/** Labels that let down and ps find a project's objects; the first two are what other compose tools use. */
export const COMPOSE_LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  configHash: 'com.docker.compose.config-hash',
  ourProject: 'io.mcp-podman.compose.project',
} as const;

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface Healthcheck {
  /** As Podman wants it: ["CMD", ...] or ["CMD-SHELL", "..."]. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

export interface BuildSpec {
  context: string;
  dockerfile?: string;
  args: Record<string, string>;
}

/** A port mapping as libpod takes it; range maps that many consecutive ports one-to-one. */
export type ComposePort = PortMapping & { range?: number };

export interface BindMount {
  source: string;
  destination: string;
  options: string[];
  /** Create the host directory when nothing is at source (short syntax, or bind.create_host_path). */
  createHostPath: boolean;
}

export interface NamedMount {
  /** The volume's real name (`<project>_<key>` unless the file names it); absent: an anonymous volume. */
  volume?: string;
  destination: string;
  options: string[];
}

export interface TmpfsMount {
  destination: string;
  options: string[];
}

/** How the container runs: the service keys that map one-to-one onto the libpod spec. */
export interface RuntimeOptions {
  workingDir?: string;
  user?: string;
  hostname?: string;
  /** "host:ip" entries for /etc/hosts. */
  extraHosts: string[];
  capDrop: string[];
  noNewPrivileges: boolean;
  /** Signal number. */
  stopSignal?: number;
  stopGraceSeconds?: number;
  init: boolean;
  readOnly: boolean;
  /** Container ports the service documents (expose); nothing is published. */
  expose: Record<number, string>;
  shmSizeBytes?: number;
  memoryBytes?: number;
  cpus?: number;
  pidsLimit?: number;
  ulimits: { type: string; soft: number; hard: number }[];
}

export interface ServiceSpec {
  name: string;
  containerName: string;
  image: string;
  build?: BuildSpec;
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  ports: ComposePort[];
  binds: BindMount[];
  volumes: NamedMount[];
  tmpfs: TmpfsMount[];
  runtime: RuntimeOptions;
  dependsOn: Record<string, DependencyCondition>;
  /** Undefined: none in the file (the image's own may apply). */
  healthcheck?: Healthcheck;
  healthcheckDisabled: boolean;
  restart?: { policy: 'always' | 'on-failure' | 'unless-stopped'; retries?: number };
  labels: Record<string, string>;
  /** Real network name → extra aliases (the service name is always an alias). */
  networks: Record<string, string[]>;
}

export interface ProjectObject {
  name: string;
  labels: Record<string, string>;
  internal?: boolean;
}

export interface ComposeProject {
  name: string;
  file: string;
  dir: string;
  services: Record<string, ServiceSpec>;
  /** Services of the file left out because none of their profiles is enabled. */
  disabled: string[];
  /** Service names in start order (dependencies first). */
  order: string[];
  /** Keyed by the file's network key. */
  networks: Record<string, ProjectObject>;
  volumes: Record<string, ProjectObject>;
  warnings: string[];
}

/** The labels every object of the project carries. */
export function projectLabels(project: string): Record<string, string> {
  return { [COMPOSE_LABELS.project]: project, [COMPOSE_LABELS.ourProject]: project };
}

/** The label filter that finds exactly what mcp-podman created for a project. */
export function projectFilter(project: string): Record<string, string[]> {
  return { label: [`${COMPOSE_LABELS.ourProject}=${project}`] };
}

export const PROJECT_NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;
