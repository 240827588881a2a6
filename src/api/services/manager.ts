import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { McpPodmanError } from '../../errors.js';
import type { Gateway } from '../../gateway/gateway.js';
import { deleteSecrets, secretsWithPrefix } from '../../gateway/mount-secrets.js';
import type { PodmanClient } from '../../podman/client.js';
import type { PodmanConnection } from '../../podman/connection.js';
import { assertConfined, type Confinement } from '../../tools/confinement.js';
import type { Redactor } from '../../tools/redact.js';
import type { Metrics } from '../metrics.js';
import type { TemplateStore } from '../templates.js';
import { deployReplicas, ensureNetwork } from './deploy.js';
import { HealthMonitor } from './health.js';
import { SERVICE_LABELS, serviceSecretPrefix } from './labels.js';
import { collectLogs, followLogs, type LogLine, type LogTarget } from './logs.js';
import type { CreateServiceRequest, Service, StartServiceRequest } from './model.js';
import { type PlannedService, planFromImage, planFromTemplate } from './plan.js';
import {
  hostPortOf,
  inRotation,
  type ListedContainer,
  labelOf,
  listServiceContainers,
  servicesFrom,
} from './state.js';
import { StdioServices } from './stdio.js';

export interface ServiceManagerDeps {
  config: Config;
  connection: PodmanConnection;
  log: Logger;
  redactor: Redactor;
  metrics: Metrics;
  templates: TemplateStore;
  gateway?: Gateway;
}

/** Where a request for a service can go: a replica's container id and its loopback port. */
export interface Target {
  id: string;
  port: number;
}

interface Routes {
  kind: string;
  targets: Target[];
  next: number;
}

/**
 * Services: named instances of templates. http and mcp-http services are containers whose labels
 * say everything about them, so their state is always read from Podman (a restart re-adopts them);
 * the manager adds health (one loop for all replicas) and a routing table refreshed by that loop.
 */
export class ServiceManager {
  readonly stdio: StdioServices;
  private readonly health: HealthMonitor;
  private routes = new Map<string, Routes>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  /** Serializes creations, so two concurrent requests cannot both pass the container limit. */
  private creating: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: ServiceManagerDeps) {
    this.stdio = new StdioServices(deps.gateway);
    const intervalMs = deps.config.api.healthCheckIntervalSec * 1000;
    this.health = new HealthMonitor({
      podman: () => this.podmanClient(),
      log: deps.log,
      // Rounds never overlap, so a probe may outlast a short interval; under a second, a loaded
      // host would have healthy replicas fail their checks and be restarted.
      timeoutMs: Math.max(1000, Math.min(2000, intervalMs)),
      defaultIntervalMs: intervalMs,
      onRestart: (service) => deps.metrics.containerRestarts.inc({ service }),
      allowHostNetwork: deps.config.allowHostNetwork,
    });
  }

  get templates(): TemplateStore {
    return this.deps.templates;
  }

  podmanClient(): Promise<PodmanClient> {
    return this.deps.connection.get();
  }

  /** Starts the health loop; the first round also re-adopts services an earlier instance left running. */
  start(): void {
    // A round each second (or faster, for a shorter HEALTH_CHECK_INTERVAL): each replica is probed at
    // its own service's interval, and routes follow replicas within a second.
    const intervalMs = Math.min(1000, this.deps.config.api.healthCheckIntervalSec * 1000);
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
    void this.tick();
  }

  /** One health round and a routing refresh; rounds never overlap. */
  tick(): Promise<void> {
    this.ticking ??= (async () => {
      try {
        const containers = await listServiceContainers(await this.podmanClient());
        const restarted = await this.health.round(containers);
        // A restart can move a replica to a new host port; only then is the list read again.
        this.setRoutes(restarted ? await listServiceContainers(await this.podmanClient()) : containers);
      } catch (err) {
        this.deps.log.debug({ err }, 'service health round skipped');
      } finally {
        this.ticking = undefined;
      }
    })();
    return this.ticking;
  }

  /**
   * A round that lists containers after this call. tick() alone may join a round that listed them
   * before a replica was created, started, stopped or removed, and write back stale routes and health.
   * Replicas the caller has just seen answer are recorded healthy first.
   */
  private async freshRound(healthy: string[] = []): Promise<void> {
    while (this.ticking) await this.ticking;
    for (const id of healthy) this.health.markHealthy(id);
    await this.tick();
  }

  private setRoutes(containers: ListedContainer[]): void {
    const next = new Map<string, Routes>();
    for (const c of containers) {
      const name = labelOf(c, SERVICE_LABELS.service);
      const routes = next.get(name) ?? {
        kind: labelOf(c, SERVICE_LABELS.kind),
        targets: [],
        next: this.routes.get(name)?.next ?? 0,
      };
      next.set(name, routes);
      const port = hostPortOf(c);
      if (port && inRotation(c, this.health.get(c.Id))) routes.targets.push({ id: c.Id, port });
    }
    this.routes = next;
  }

  private async refreshRoutes(): Promise<void> {
    this.setRoutes(await listServiceContainers(await this.podmanClient()));
  }

  /** Whether `name` is an http or mcp-http service this process routes to (for the Host guard). */
  routable(name: string): boolean {
    return this.routes.has(name);
  }

  /** The next replica of a service in rotation (round-robin), or a coded error saying why there is none. */
  async pick(name: string, kinds: string[]): Promise<Target> {
    if (!this.routes.has(name)) await this.refreshRoutes();
    const routes = this.routes.get(name);
    if (!routes || !kinds.includes(routes.kind)) {
      throw new McpPodmanError(
        'NOT_FOUND',
        `No ${kinds.join(' or ')} service "${name}". GET /containers lists services.`,
      );
    }
    if (routes.targets.length === 0) {
      throw new McpPodmanError(
        'UNAVAILABLE',
        `Service "${name}" has no healthy replica right now. GET /containers/${name}/status shows why.`,
      );
    }
    const target = routes.targets[routes.next % routes.targets.length]!;
    routes.next = (routes.next + 1) % routes.targets.length;
    return target;
  }

  /** A specific replica, if it is still in rotation (session stickiness). */
  target(name: string, id: string): Target | undefined {
    return this.routes.get(name)?.targets.find((t) => t.id === id);
  }

  async list(): Promise<Service[]> {
    const http = servicesFrom(await listServiceContainers(await this.podmanClient()), (id) =>
      this.health.get(id),
    );
    const stdio = this.stdio.names().map((n) => this.stdio.view(n)!);
    return [...http, ...stdio].sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<Service> {
    const stdio = this.stdio.view(name);
    if (stdio) return stdio;
    const [service] = servicesFrom(await listServiceContainers(await this.podmanClient(), name), (id) =>
      this.health.get(id),
    );
    if (!service)
      throw new McpPodmanError('NOT_FOUND', `No service "${name}". GET /containers lists services.`);
    return service;
  }

  /**
   * The path to Kubernetes: Podman's own Kubernetes YAML (a Pod per replica plus a Service) for a
   * service's containers, ready for `kubectl apply` or `podman kube play` elsewhere.
   */
  async kube(name: string): Promise<string> {
    const service = await this.get(name);
    const ids = service.replicas.map((r) => r.id).filter(Boolean);
    if (ids.length === 0) {
      throw new McpPodmanError(
        'CONFLICT',
        `Service "${name}" has no container right now (an idle mount starts on its next call).`,
      );
    }
    const res = await (await this.podmanClient()).request('GET', '/libpod/generate/kube', {
      query: { names: ids, service: true },
    });
    return res.body.text();
  }

  private async exists(name: string): Promise<boolean> {
    return this.stdio.has(name) || (await listServiceContainers(await this.podmanClient(), name)).length > 0;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.creating.then(fn, fn);
    this.creating = run.catch(() => undefined);
    return run;
  }

  /** Refuses a name in use and a creation past MAX_CONTAINERS. */
  private async admit(name: string, replicas: number): Promise<void> {
    if (this.closed) throw new McpPodmanError('UNAVAILABLE', 'The server is shutting down.');
    if (await this.exists(name)) {
      throw new McpPodmanError(
        'CONFLICT',
        `Service "${name}" already exists. DELETE /containers/${name} first, or pick another name.`,
      );
    }
    const max = this.deps.config.api.maxContainers;
    const current =
      (await listServiceContainers(await this.podmanClient())).length + this.stdio.names().length;
    if (current + replicas > max) {
      throw new McpPodmanError(
        'LIMIT_EXCEEDED',
        `Creating ${replicas} more container(s) would pass MAX_CONTAINERS (${max}; ${current} in use). Delete a service first.`,
        { details: { max, current, requested: replicas } },
      );
    }
  }

  create(request: CreateServiceRequest, signal: AbortSignal): Promise<Service> {
    return this.exclusive(async () => {
      const template = this.deps.templates.get(request.template);
      if (template.view.kind === 'mcp-stdio' && request.replicas !== 1) {
        throw new McpPodmanError(
          'INVALID_PARAMS',
          `Template "${template.view.name}" runs over stdio, so replicas must be 1.`,
        );
      }
      await this.admit(request.service_name, request.replicas);
      if (template.view.kind === 'mcp-stdio') {
        return this.stdio.create(
          { name: request.service_name, template, environment: request.environment ?? {} },
          signal,
        );
      }
      const podman = await this.podmanClient();
      return this.deploy(
        await planFromTemplate(template, request, { podman, config: this.deps.config, signal }),
        signal,
      );
    });
  }

  startFromImage(name: string, request: StartServiceRequest, signal: AbortSignal): Promise<Service> {
    return this.exclusive(async () => {
      await this.admit(name, request.replicas);
      const podman = await this.podmanClient();
      return this.deploy(
        await planFromImage(name, request, { podman, config: this.deps.config, signal }),
        signal,
      );
    });
  }

  private async deploy(planned: PlannedService, signal: AbortSignal): Promise<Service> {
    const podman = await this.podmanClient();
    if (planned.plan.network) await ensureNetwork(podman, planned.plan.network);
    const { ready } = await deployReplicas({
      podman,
      ...planned,
      redactor: this.deps.redactor,
      confinement: this.confinement(),
      signal,
    });
    await this.freshRound(ready);
    return this.get(planned.plan.name);
  }

  /** Starts the stopped replicas of an existing http service. */
  async startExisting(name: string): Promise<Service> {
    if (this.stdio.has(name)) {
      await this.stdio.start(name);
      return this.get(name);
    }
    const containers = await this.httpContainers(name);
    const podman = await this.podmanClient();
    for (const c of containers) {
      if (c.State !== 'running') {
        await assertConfined(podman, [c.Id], this.confinement(), `A replica of ${name} may not start`);
        await podman.call('POST', `/libpod/containers/${c.Id}/start`, { okStatuses: [304] });
      }
      this.health.reset(c.Id);
    }
    await this.freshRound();
    return this.get(name);
  }

  async stop(name: string): Promise<Service> {
    if (this.stdio.has(name)) {
      await this.stdio.stop(name);
      return this.get(name);
    }
    const containers = await this.httpContainers(name);
    const podman = await this.podmanClient();
    await Promise.all(
      containers
        .filter((c) => c.State === 'running')
        .map((c) =>
          podman.call('POST', `/libpod/containers/${c.Id}/stop`, {
            query: { timeout: 5 },
            okStatuses: [304],
          }),
        ),
    );
    await this.freshRound();
    return this.get(name);
  }

  /**
   * What a replica may get of the host. Its binds were checked against the bind roots (or are the
   * operator's template) when it was planned; each start checks they still lead where they did.
   */
  private confinement(): Confinement {
    return { allowHostNetwork: this.deps.config.allowHostNetwork };
  }

  private async httpContainers(name: string): Promise<ListedContainer[]> {
    const containers = await listServiceContainers(await this.podmanClient(), name);
    if (containers.length === 0)
      throw new McpPodmanError('NOT_FOUND', `No service "${name}". GET /containers lists services.`);
    return containers;
  }

  /** Removes a service's containers and secrets (or its gateway mount). */
  async remove(name: string): Promise<void> {
    if (this.stdio.has(name)) {
      await this.stdio.remove(name);
      return;
    }
    const podman = await this.podmanClient();
    const containers = await listServiceContainers(podman, name);
    if (containers.length === 0)
      throw new McpPodmanError('NOT_FOUND', `No service "${name}". GET /containers lists services.`);
    await Promise.all(
      containers.map((c) =>
        podman.call('DELETE', `/libpod/containers/${c.Id}`, {
          query: { force: true, timeout: 2 },
          okStatuses: [404],
        }),
      ),
    );
    await deleteSecrets(podman, await secretsWithPrefix(podman, serviceSecretPrefix(name)));
    await this.freshRound();
  }

  private async logTargets(name: string): Promise<LogTarget[]> {
    const stdioId = this.stdio.containerId(name);
    if (this.stdio.has(name))
      return stdioId ? [{ replica: `${name}-0`, id: stdioId, stdoutIsProtocol: true }] : [];
    const containers = await listServiceContainers(await this.podmanClient(), name);
    if (containers.length === 0)
      throw new McpPodmanError('NOT_FOUND', `No service "${name}". GET /containers lists services.`);
    return containers.map((c) => ({ replica: c.Names?.[0] ?? c.Id.slice(0, 12), id: c.Id }));
  }

  async logs(name: string, query: { tail: number; since?: string }, signal: AbortSignal) {
    return collectLogs({
      podman: await this.podmanClient(),
      targets: await this.logTargets(name),
      ...query,
      signal,
    });
  }

  async followLogs(
    name: string,
    query: { tail: number; since?: string },
    signal: AbortSignal,
    onLine: (line: LogLine) => void,
  ): Promise<void> {
    const targets = await this.logTargets(name);
    await followLogs({ podman: await this.podmanClient(), targets, ...query, signal, onLine });
  }

  /** Replica containers for the metrics scrape: id, service and replica name. */
  async containersForStats(limit: number): Promise<{ id: string; service: string; replica: string }[]> {
    const containers = await listServiceContainers(await this.podmanClient());
    return containers
      .filter((c) => c.State === 'running')
      .slice(0, limit)
      .map((c) => ({
        id: c.Id,
        service: labelOf(c, SERVICE_LABELS.service),
        replica: c.Names?.[0] ?? c.Id.slice(0, 12),
      }));
  }

  /** Stops the health loop. Service containers stay: they outlive this process by design. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }
}
