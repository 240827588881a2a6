import { MANAGED_LABELS } from '../../podman/labels.js';
import type { TemplateKind } from '../templates.js';

/**
 * Labels that carry a service's whole definition on its containers, so its state is read back
 * from Podman: a restarted mcp-podman re-adopts its services, and the CLI needs no running instance.
 */
export const SERVICE_LABELS = {
  service: 'io.mcp-podman.service',
  replica: 'io.mcp-podman.replica',
  template: 'io.mcp-podman.template',
  kind: 'io.mcp-podman.kind',
  port: 'io.mcp-podman.port',
  replicas: 'io.mcp-podman.replicas',
  healthPath: 'io.mcp-podman.health-path',
  healthInterval: 'io.mcp-podman.health-interval',
  createdAt: 'io.mcp-podman.created-at',
} as const;

/** Service names become host names (`<name>.localhost`) and tool prefixes, so they are DNS labels. */
export const SERVICE_NAME_RE = /^[a-z][a-z0-9-]{0,30}$/;

/** The template of a service started with an image and no template. */
export const NO_TEMPLATE = '-';

export interface ReplicaLabelInput {
  service: string;
  replica: number;
  template: string;
  kind: TemplateKind;
  port: number;
  replicas: number;
  healthPath?: string;
  /** Seconds between health checks of this service (the template's health_check_interval). */
  healthIntervalSec?: number;
  createdAt: string;
  user: Record<string, string>;
}

export function replicaLabels(input: ReplicaLabelInput): Record<string, string> {
  const { service } = input;
  return {
    ...input.user,
    ...MANAGED_LABELS,
    [SERVICE_LABELS.service]: service,
    [SERVICE_LABELS.replica]: String(input.replica),
    [SERVICE_LABELS.template]: input.template,
    [SERVICE_LABELS.kind]: input.kind,
    [SERVICE_LABELS.port]: String(input.port),
    [SERVICE_LABELS.replicas]: String(input.replicas),
    [SERVICE_LABELS.createdAt]: input.createdAt,
    ...(input.healthPath ? { [SERVICE_LABELS.healthPath]: input.healthPath } : {}),
    ...(input.healthIntervalSec ? { [SERVICE_LABELS.healthInterval]: String(input.healthIntervalSec) } : {}),
    'traefik.enable': 'true',
    [`traefik.http.routers.${service}.rule`]: `Host(\`${service}.localhost\`)`,
    [`traefik.http.services.${service}.loadbalancer.server.port`]: String(input.port),
  };
}

export function replicaContainerName(service: string, replica: number): string {
  return `mcp-podman-svc.${service}.${replica}`;
}

/** Podman secrets holding a service's secret-looking env values. */
export function serviceSecretName(service: string, variable: string): string {
  return `${serviceSecretPrefix(service)}${variable}`;
}

export function serviceSecretPrefix(service: string): string {
  // Service names hold no dots, so this prefix never matches another service's secrets.
  return `mcp-podman-svc.${service}.`;
}
