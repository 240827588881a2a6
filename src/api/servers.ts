import type { Context } from 'hono';
import { toMcpPodmanError } from '../errors.js';
import type { App } from '../server/app.js';
import { createMcpSession } from '../server/mcp.js';
import { type Session, type StreamableHandler, streamableHandler } from '../transport/http.js';
import { errorReply } from '../transport/jsonrpc.js';
import { MountToolView } from './mount-tools.js';
import { forward } from './proxy.js';
import { errorResponse } from './respond.js';
import type { ServiceManager } from './services/manager.js';

/** Sessions remembered for stickiness; past this the oldest are forgotten (their clients re-initialize). */
const MAX_STICKY = 10_000;

/**
 * /servers/{name}/mcp: one MCP server alone. An mcp-http service is reverse-proxied, each session
 * kept on the replica that created it (Streamable HTTP sessions live in one process). An mcp-stdio
 * service gets its own MCP endpoint listing only that mount's tools, under their original names.
 */
export class ServerEndpoints {
  private readonly sticky = new Map<string, { service: string; id: string }>();
  /** Per stdio service: its own sessions (an id from one service must not reach another) and endpoint. */
  private readonly stdio = new Map<string, { sessions: Map<string, Session>; handler: StreamableHandler }>();

  constructor(
    private readonly app: App,
    private readonly services: ServiceManager,
  ) {
    // A removed service's sessions and endpoint go with it, not at their idle timeout.
    const prune = () => {
      for (const name of this.stdio.keys()) if (!this.services.stdio.has(name)) void this.drop(name);
    };
    app.tools.on('changed', prune);
    app.onClose(async () => {
      app.tools.off('changed', prune);
      await Promise.all([...this.stdio.keys()].map((name) => this.drop(name)));
    });
  }

  async handle(c: Context, name: string): Promise<Response> {
    if (this.services.stdio.has(name)) return this.stdioHandler(name)(c);
    return this.proxy(c, name);
  }

  private stdioHandler(name: string): StreamableHandler {
    let endpoint = this.stdio.get(name);
    if (!endpoint) {
      const view = new MountToolView(this.app.tools, this.services.stdio, name);
      const sessions = new Map<string, Session>();
      const handler = streamableHandler(
        sessions,
        () => createMcpSession(this.app, 'streamable-http', { tools: view, mount: name }),
        this.app.config.sessionIdleTimeoutMs,
      );
      endpoint = { sessions, handler };
      this.stdio.set(name, endpoint);
    }
    return endpoint.handler;
  }

  private async drop(name: string): Promise<void> {
    const endpoint = this.stdio.get(name);
    if (!endpoint) return;
    this.stdio.delete(name);
    endpoint.handler.dispose();
    await Promise.all([...endpoint.sessions.values()].map((s) => s.close().catch(() => undefined)));
  }

  private async proxy(c: Context, name: string): Promise<Response> {
    const sessionId = c.req.header('mcp-session-id');
    const path = `/mcp${new URL(c.req.url).search}`;
    const started = performance.now();
    try {
      let replicaId: string;
      let port: number;
      if (sessionId) {
        const bound = this.sticky.get(sessionId);
        const target = bound?.service === name ? this.services.target(name, bound.id) : undefined;
        if (!target) {
          this.sticky.delete(sessionId);
          return Response.json(
            errorReply(
              null,
              -32001,
              'Session not found: it expired, or its replica left rotation; start a new one with initialize',
            ),
            { status: 404 },
          );
        }
        ({ id: replicaId, port } = target);
      } else {
        ({ id: replicaId, port } = await this.services.pick(name, ['mcp-http']));
      }
      const res = await forward(c.req.raw, port, path, { apiOrigin: true });
      const created = res.headers.get('mcp-session-id');
      if (created && !sessionId) this.remember(created, name, replicaId);
      if (sessionId && c.req.method === 'DELETE' && res.ok) this.sticky.delete(sessionId);
      this.count(name, res.status < 400, started);
      return res;
    } catch (err) {
      const coded = toMcpPodmanError(err);
      // No series for names that are not services: a client could otherwise grow /metrics forever.
      if (coded.code !== 'NOT_FOUND' && coded.code !== 'INVALID_PARAMS') this.count(name, false, started);
      return errorResponse(this.app, coded);
    }
  }

  private remember(sessionId: string, service: string, id: string): void {
    this.sticky.set(sessionId, { service, id });
    if (this.sticky.size > MAX_STICKY) this.sticky.delete(this.sticky.keys().next().value!);
  }

  private count(mount: string, ok: boolean, started: number): void {
    this.app.metrics.mountCalls.inc({ mount, outcome: ok ? 'ok' : 'error' });
    this.app.metrics.mountDuration.observe({ mount }, (performance.now() - started) / 1000);
  }
}
