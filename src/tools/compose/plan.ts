import { isMcpPodmanError, McpPodmanError } from '../../errors.js';
import type { PodmanClient } from '../../podman/client.js';
import {
  COMPOSE_LABELS,
  type ComposeProject,
  type ProjectObject,
  projectFilter,
  type ServiceSpec,
} from './model.js';

export interface ExistingContainer {
  id: string;
  running: boolean;
  hash: string;
}

export interface ServicePlan {
  service: ServiceSpec;
  /** Set when the image is present now; a service that needs a build gets it after the build. */
  imageId?: string;
  needsBuild: boolean;
  existing?: ExistingContainer;
}

export interface Plan {
  project: ComposeProject;
  networksToCreate: ProjectObject[];
  volumesToCreate: ProjectObject[];
  services: Record<string, ServicePlan>;
  /** Containers of the project that no service of the file owns (left alone, reported). */
  orphans: string[];
  /** Containers of services the file has but whose profiles are not enabled (left alone, reported). */
  profileDisabled: string[];
}

interface Inspected {
  Id?: string;
  Labels?: Record<string, string> | null;
  labels?: Record<string, string> | null;
  Config?: { Labels?: Record<string, string> | null };
  State?: { Running?: boolean };
  Healthcheck?: { Test?: string[] } | null;
}

/**
 * Compares the project with what Podman has, before anything is created: objects with our names
 * that belong to someone else are conflicts, and every image a service runs must be present (or be
 * built by it). All problems of a kind are reported together.
 */
export async function planUp(
  client: PodmanClient,
  project: ComposeProject,
  options: { rebuild: boolean; signal: AbortSignal },
): Promise<Plan> {
  const { signal } = options;
  const conflicts: string[] = [];
  const owned = (labels: Record<string, string> | null | undefined) =>
    labels?.[COMPOSE_LABELS.ourProject] === project.name;

  const usedNetworks = new Set(Object.values(project.services).flatMap((s) => Object.keys(s.networks)));
  const networksToCreate: ProjectObject[] = [];
  for (const network of Object.values(project.networks).filter((n) => usedNetworks.has(n.name))) {
    const found = await inspect(client, `/libpod/networks/${encodeURIComponent(network.name)}/json`, signal);
    if (!found) networksToCreate.push(network);
    else if (!owned(found.labels))
      conflicts.push(`network "${network.name}" exists and is not part of this project`);
  }

  const usedVolumes = new Set(Object.values(project.services).flatMap((s) => s.volumes.map((v) => v.volume)));
  const volumesToCreate: ProjectObject[] = [];
  for (const volume of Object.values(project.volumes).filter((v) => usedVolumes.has(v.name))) {
    const found = await inspect(client, `/libpod/volumes/${encodeURIComponent(volume.name)}/json`, signal);
    if (!found) volumesToCreate.push(volume);
    else if (!owned(found.Labels))
      conflicts.push(`volume "${volume.name}" exists and is not part of this project`);
  }

  const services: Record<string, ServicePlan> = {};
  const missingImages: string[] = [];
  const imageHealth = new Map<string, boolean>();
  for (const name of project.order) {
    const service = project.services[name]!;
    const path = `/libpod/containers/${encodeURIComponent(service.containerName)}/json`;
    const container = await inspect(client, path, signal);
    const labels = container?.Config?.Labels;
    if (container && (!owned(labels) || labels?.[COMPOSE_LABELS.service] !== name)) {
      conflicts.push(
        `container "${service.containerName}" exists and is not service "${name}" of this project`,
      );
    }
    const image = await inspect(client, `/libpod/images/${encodeURIComponent(service.image)}/json`, signal);
    if (!image && !service.build) missingImages.push(`${service.image} (service ${name})`);
    imageHealth.set(name, Boolean(image?.Healthcheck?.Test?.length));
    services[name] = {
      service,
      needsBuild: Boolean(service.build) && (options.rebuild || !image),
      ...(image?.Id ? { imageId: image.Id } : {}),
      ...(container?.Id
        ? {
            existing: {
              id: container.Id,
              running: Boolean(container.State?.Running),
              hash: labels?.[COMPOSE_LABELS.configHash] ?? '',
            },
          }
        : {}),
    };
  }

  if (conflicts.length) {
    throw new McpPodmanError(
      'CONFLICT',
      `Names of project "${project.name}" are taken: ${conflicts.join('; ')}. Remove or rename those objects, or pick another project_name.`,
      { details: { conflicts } },
    );
  }
  if (missingImages.length) {
    throw new McpPodmanError(
      'IMAGE_NOT_FOUND',
      `Images are not present locally: ${missingImages.join(', ')}. Pull them with podman_pull (or build them), then call again; nothing was created.`,
      { details: { missing: missingImages } },
    );
  }
  checkHealthDependencies(project, imageHealth);
  const ours = await client.json<{ Names?: string[]; Labels?: Record<string, string> | null }[]>(
    'GET',
    '/libpod/containers/json',
    { query: { all: true, filters: projectFilter(project.name) }, signal },
  );
  const expected = new Set(Object.values(project.services).map((s) => s.containerName));
  const others = ours.filter((c) => c.Names?.[0] && !expected.has(c.Names[0]));
  const ofDisabled = (c: (typeof ours)[number]) =>
    project.disabled.includes(c.Labels?.[COMPOSE_LABELS.service] ?? '');
  const names = (list: typeof ours) => list.map((c) => c.Names![0]!);
  return {
    project,
    networksToCreate,
    volumesToCreate,
    services,
    orphans: names(others.filter((c) => !ofDisabled(c))),
    profileDisabled: names(others.filter(ofDisabled)),
  };
}

/** service_healthy needs a healthcheck: in the file, or in the image when the file has none. */
function checkHealthDependencies(project: ComposeProject, imageHealth: Map<string, boolean>): void {
  const problems: string[] = [];
  for (const service of Object.values(project.services)) {
    for (const [dep, condition] of Object.entries(service.dependsOn)) {
      const target = project.services[dep]!;
      if (condition !== 'service_healthy' || target.healthcheck || target.build) continue;
      if (!imageHealth.get(dep)) {
        problems.push(`"${service.name}" waits for "${dep}" to be healthy, but "${dep}" has no healthcheck`);
      }
    }
  }
  if (problems.length) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `${problems.join('; ')}. Add a healthcheck to the service or use condition: service_started.`,
      { details: { problems } },
    );
  }
}

/** Inspects an object; undefined when Podman has none by that name. */
async function inspect(
  client: PodmanClient,
  path: string,
  signal: AbortSignal,
): Promise<Inspected | undefined> {
  try {
    return await client.json<Inspected>('GET', path, {
      signal,
      notFound: { code: 'NOT_FOUND', message: 'absent' },
    });
  } catch (err) {
    if (isMcpPodmanError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}
