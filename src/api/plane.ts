import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { McpPodmanError } from '../errors.js';
import { BUILTIN_CATALOG } from '../gateway/catalog.js';
import type { App } from '../server/app.js';
import { authenticate, type ListenerAuth, unauthorized } from '../transport/auth.js';
import { jsonError } from '../transport/guards.js';
import { openApiDocument } from './openapi.js';
import { forward } from './proxy.js';
import { errorResponse } from './respond.js';
import { registerRoutes } from './route-kit.js';
import { apiRoutes } from './routes.js';
import { ServerEndpoints } from './servers.js';
import { ServiceManager } from './services/manager.js';
import { loadTemplates } from './templates.js';

type HttpHono = Hono<{ Bindings: HttpBindings }>;

/** `<service>.localhost`, with or without a port. */
const SERVICE_HOST_RE = /^([a-z][a-z0-9-]{0,30})\.localhost$/;

function hostnameOf(header: string | undefined): string {
  return (header ?? '').trim().toLowerCase().split(':')[0] ?? '';
}

export interface ManagementPlane {
  services: ServiceManager;
  /** Options for startHttpServer. */
  http: {
    early: (hono: HttpHono, auth: ListenerAuth) => void;
    mount: (hono: HttpHono) => void;
    extraHost: (hostname: string) => boolean;
  };
}

/**
 * The management plane of `serve --transport http`: templates, the service manager and its health
 * loop, the JSON API with its OpenAPI document, /servers/{name}/mcp, and Host routing.
 */
export async function attachManagementPlane(app: App): Promise<ManagementPlane> {
  const { config } = app;
  const templates = await loadTemplates({
    catalog: app.gateway?.catalog,
    catalogFiles: [...(config.gateway.builtinCatalog ? [BUILTIN_CATALOG] : []), ...config.gateway.catalogs],
    dir: config.api.templatesDir,
  });
  const services = new ServiceManager({
    config,
    connection: app.connection,
    log: app.log,
    redactor: app.redactor,
    metrics: app.metrics,
    templates,
    gateway: app.gateway,
  });
  app.services = services;
  app.metrics.observe({
    mounts: () => app.gateway?.list().length ?? 0,
    containerStats: () => containerStats(services),
  });
  services.start();
  app.onClose(() => services.close());
  const servers = new ServerEndpoints(app, services);
  const routes = apiRoutes(app, services);
  const openapi = openApiDocument(routes);

  const early = (hono: HttpHono, auth: ListenerAuth) => {
    if (config.api.corsOrigins.length) {
      hono.use(
        '*',
        cors({
          origin: config.api.corsOrigins,
          allowHeaders: ['authorization', 'content-type', 'mcp-session-id', 'mcp-protocol-version'],
          exposeHeaders: ['mcp-session-id'],
        }),
      );
    }
    // Host routing comes before every other route: on <name>.localhost the whole path is the service's.
    hono.use('*', async (c, next) => {
      const match = SERVICE_HOST_RE.exec(hostnameOf(c.req.header('host')));
      if (!match) return next();
      if (!authenticate(auth, c.req.header('authorization'))) return unauthorized();
      try {
        const target = await services.pick(match[1]!, ['http', 'mcp-http']);
        const url = new URL(c.req.url);
        return await forward(c.req.raw, target.port, url.pathname + url.search);
      } catch (err) {
        return errorResponse(
          app,
          err instanceof McpPodmanError
            ? err
            : new McpPodmanError('INTERNAL_ERROR', String(err), { cause: err }),
        );
      }
    });
    if (!config.api.enableMetrics) {
      hono.all('/metrics', () => jsonError('NOT_FOUND', 'Metrics are off (ENABLE_METRICS=false).'));
    }
  };

  const mount = (hono: HttpHono) => {
    const api = new Hono();
    registerRoutes(api, app, routes);
    api.get('/openapi.json', (c) => c.json(openapi));
    api.all('/servers/:name/mcp', (c) => servers.handle(c, c.req.param('name')));
    hono.route('/', api);
  };

  return { services, http: { early, mount, extraHost: (host) => SERVICE_HOST_RE.test(host) } };
}

/** CPU and memory of running replicas for /metrics; one stats request, at most 50 containers. */
async function containerStats(services: ServiceManager) {
  const containers = await services.containersForStats(50);
  if (containers.length === 0) return [];
  const podman = await services.podmanClient();
  const res = await podman.json<{ Stats?: { ContainerID: string; CPU?: number; MemUsage?: number }[] }>(
    'GET',
    '/libpod/containers/stats',
    { query: { stream: false, containers: containers.map((c) => c.id) }, signal: AbortSignal.timeout(5000) },
  );
  return (res.Stats ?? []).flatMap((s) => {
    const c = containers.find((x) => x.id === s.ContainerID);
    return c
      ? [{ service: c.service, replica: c.replica, cpuPercent: s.CPU ?? 0, memoryBytes: s.MemUsage ?? 0 }]
      : [];
  });
}
