import { z } from 'zod';
import { envKey, imageRef, memorySize } from '../../tools/schemas.js';
import { cpuLimit, RESTART_POLICIES } from '../templates.js';
import { SERVICE_NAME_RE } from './labels.js';

export const serviceName = z
  .string()
  .regex(SERVICE_NAME_RE, 'must be 1-31 lowercase letters, digits or "-", starting with a letter')
  .describe('Service name; also its host name <name>.localhost');

const environment = z
  .record(envKey, z.string().max(32 * 1024))
  .refine((e) => Object.keys(e).length <= 200, 'at most 200 variables')
  .describe('Environment variables; secret-looking names are stored as Podman secrets');

export const CreateServiceSchema = z
  .object({
    service_name: serviceName,
    template: z.string().min(1).max(128).describe('Template name (GET /templates)'),
    environment: environment.optional(),
    replicas: z.number().int().min(1).max(10).default(1).describe('Containers to run (mcp-stdio: 1)'),
  })
  .strict()
  .meta({ id: 'CreateService' });

export const StartServiceSchema = z
  .object({
    image: imageRef.describe('Image to run'),
    port: z.number().int().min(1).max(65535).describe('Port the service listens on in the container'),
    environment: environment.optional(),
    volumes: z
      .record(z.string().startsWith('/'), z.string().startsWith('/'))
      .optional()
      .describe('Bind mounts: absolute host path -> container path'),
    memory_limit: memorySize.optional().describe('Memory limit, e.g. 256m'),
    cpu_limit: cpuLimit.optional(),
    restart_policy: z.enum(RESTART_POLICIES).optional().describe('Podman restart policy'),
    health_check_path: z.string().startsWith('/').max(512).optional().describe('Path polled for health'),
    labels: z
      .record(
        z
          .string()
          .min(1)
          .max(253)
          // These steer our own bookkeeping (ownership, orphan sweeps) and Traefik's routes.
          .refine(
            (k) => !/^(io\.mcp-podman\.|traefik\.)/.test(k),
            'io.mcp-podman.* and traefik.* labels are set by mcp-podman',
          ),
        z.string().max(4096),
      )
      .optional()
      .describe('Extra labels (not io.mcp-podman.* or traefik.*)'),
    command: z.array(z.string().max(4096)).max(64).optional().describe('Replaces the image entrypoint'),
    args: z.array(z.string().max(4096)).max(256).optional().describe('Arguments after the entrypoint'),
    replicas: z.number().int().min(1).max(10).default(1).describe('Containers to run'),
  })
  .strict()
  .meta({ id: 'StartService' });

export type CreateServiceRequest = z.infer<typeof CreateServiceSchema>;
export type StartServiceRequest = z.infer<typeof StartServiceSchema>;

/**
 * Replica states that count as up: a running container, or a ready gateway mount (an mcp-stdio
 * service). The dashboard's panels.js keeps the same set.
 */
export const UP_STATES: ReadonlySet<string> = new Set(['running', 'ready']);

/** How many of a service's replicas are up. */
export function replicasUp(service: { replicas: { state: string }[] }): number {
  return service.replicas.filter((r) => UP_STATES.has(r.state)).length;
}

export const ReplicaSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string().describe('Podman container state, or the gateway mount state'),
  health: z.enum(['healthy', 'unhealthy', 'starting', 'none']),
  host_port: z.number().int().optional(),
  restarts: z.number().int(),
  started_at: z.string().optional(),
});

export const ServiceSchema = z
  .object({
    name: z.string(),
    template: z.string(),
    kind: z.enum(['mcp-stdio', 'mcp-http', 'http']),
    state: z.enum(['starting', 'running', 'degraded', 'stopped', 'failed']),
    replicas_desired: z.number().int(),
    replicas: z.array(ReplicaSchema),
    routes: z.object({ host: z.string().optional(), mcp: z.string().optional() }),
    tools: z.array(z.string()).optional(),
    created_at: z.string(),
    labels: z.record(z.string(), z.string()),
  })
  .meta({ id: 'Service' });

export type Service = z.infer<typeof ServiceSchema>;
export type Replica = z.infer<typeof ReplicaSchema>;
export type ServiceState = Service['state'];
