import { parseMemory } from '../../tools/schemas.js';
import type { TemplateKind } from '../templates.js';
import { replicaContainerName, replicaLabels } from './labels.js';

/** Everything needed to create the containers of an http or mcp-http service. */
export interface HttpServicePlan {
  name: string;
  template: string;
  kind: Exclude<TemplateKind, 'mcp-stdio'>;
  image: string;
  port: number;
  env: Record<string, string>;
  /** Env variable -> Podman secret name. */
  secretEnv: Record<string, string>;
  /** Absolute host path -> container path. */
  volumes: Record<string, string>;
  memoryLimit: string;
  cpuLimit: number;
  restartPolicy: string;
  healthPath?: string;
  healthIntervalSec?: number;
  labels: Record<string, string>;
  command?: string[];
  args?: string[];
  replicas: number;
  network?: string;
  createdAt: string;
}

/**
 * One replica's container: its port published on loopback only (Podman picks the host port),
 * resource limits, an init process so stop and restart are quick, and the labels that describe
 * the whole service. MCP_PODMAN_REPLICA lets a replica (and a test) know which one it is.
 */
export function replicaSpec(plan: HttpServicePlan, replica: number): Record<string, unknown> {
  const restart = plan.restartPolicy === 'no' ? undefined : plan.restartPolicy;
  return {
    name: replicaContainerName(plan.name, replica),
    image: plan.image,
    entrypoint: plan.command,
    command: plan.args,
    env: { ...plan.env, MCP_PODMAN_SERVICE: plan.name, MCP_PODMAN_REPLICA: String(replica) },
    secret_env: plan.secretEnv,
    labels: replicaLabels({
      service: plan.name,
      replica,
      template: plan.template,
      kind: plan.kind,
      port: plan.port,
      replicas: plan.replicas,
      healthPath: plan.healthPath,
      healthIntervalSec: plan.healthIntervalSec,
      createdAt: plan.createdAt,
      user: plan.labels,
    }),
    init: true,
    no_new_privileges: true,
    restart_policy: restart,
    resource_limits: {
      memory: { limit: parseMemory(plan.memoryLimit) },
      cpu: { quota: Math.round(plan.cpuLimit * 100_000), period: 100_000 },
    },
    mounts: Object.entries(plan.volumes).map(([source, destination]) => ({
      type: 'bind',
      source,
      destination,
      options: ['rw'],
    })),
    portmappings: [{ host_ip: '127.0.0.1', container_port: plan.port, host_port: 0, protocol: 'tcp' }],
    netns: { nsmode: 'bridge' },
    ...(plan.network ? { Networks: { [plan.network]: {} } } : {}),
  };
}
