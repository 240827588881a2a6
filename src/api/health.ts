import { Hono } from 'hono';
import type { App } from '../server/app.js';
import { SERVER_NAME, VERSION } from '../version.js';

/** /health (open, for probes) and /metrics (Prometheus text, or the JSON summary on request). */
export function healthRoutes(app: App): { health: Hono; metrics: Hono } {
  const health = new Hono();
  health.get('/health', async (c) => {
    const ok = await app.connection.healthy();
    return c.json(
      {
        status: ok ? 'healthy' : 'unhealthy',
        timestamp: new Date().toISOString(),
        uptime_seconds: app.metrics.uptimeSeconds(),
        version: VERSION,
        server_name: SERVER_NAME,
        ...(ok
          ? {}
          : {
              error: { code: 'PODMAN_NOT_CONNECTED', message: 'Podman does not answer on its API socket.' },
            }),
      },
      ok ? 200 : 503,
    );
  });

  const metrics = new Hono();
  metrics.get('/metrics', async (c) => {
    if ((c.req.header('accept') ?? '').includes('application/json')) {
      return c.json({
        uptime_seconds: app.metrics.uptimeSeconds(),
        total_requests: await app.metrics.total(app.metrics.requests),
        total_errors: await app.metrics.total(app.metrics.errors),
        active_sessions: await app.metrics.total(app.metrics.activeSessions),
        registered_tools: app.tools.size,
        server_name: SERVER_NAME,
        version: VERSION,
        timestamp: new Date().toISOString(),
      });
    }
    return c.body(await app.metrics.registry.metrics(), 200, {
      'content-type': app.metrics.registry.contentType,
    });
  });
  return { health, metrics };
}
