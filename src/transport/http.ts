import type { AddressInfo } from 'node:net';
import type { HttpBindings, ServerType } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { Hono } from 'hono';
import { dashboardRoutes } from '../api/dashboard/routes.js';
import { healthRoutes } from '../api/health.js';
import type { App } from '../server/app.js';
import { createMcpSession } from '../server/mcp.js';
import { bearerAuth, type ListenerAuth, publishToken, resolveAuth } from './auth.js';
import { assertSafeBind, hostAndOriginGuard, jsonError } from './guards.js';
import { errorReply } from './jsonrpc.js';
import { closeServer, listen } from './listen.js';

const MAX_BODY = 4 * 1024 * 1024;

export interface HttpServerHandle {
  url: string;
  port: number;
  hono: Hono<{ Bindings: HttpBindings }>;
  server: ServerType;
  auth: ListenerAuth;
  /** Where a generated token was published for local clients. */
  tokenFile?: string;
  close(): Promise<void>;
}

export interface Session {
  server: Server;
  close(): Promise<void>;
  /** When a request last named this session or last finished (Streamable HTTP sessions expire when idle). */
  lastSeen?: number;
  /** Requests (POSTs and their response streams) under way; a session with one is never idle. */
  inFlight?: number;
}

/**
 * Streamable HTTP at /mcp (stateful sessions), the legacy SSE endpoints (/sse + /messages),
 * /health and /metrics, behind Host/Origin validation and a bearer token (generated when none is
 * configured). Extra routes (the management API) can be mounted on `hono` before the server starts
 * taking traffic; whatever `early` routes itself must check `authenticate` with the auth it is given.
 */
export async function startHttpServer(
  app: App,
  options: {
    mount?: (hono: Hono<{ Bindings: HttpBindings }>) => void;
    /** Middleware that must run right after the Host/Origin guard, before /health and auth (CORS, Host routing). */
    early?: (hono: Hono<{ Bindings: HttpBindings }>, auth: ListenerAuth) => void;
    extraHost?: (hostname: string) => boolean;
  } = {},
): Promise<HttpServerHandle> {
  const { config } = app;
  assertSafeBind(config);
  const auth = resolveAuth(config);
  const sessions = new Map<string, Session>();
  const hono = new Hono<{ Bindings: HttpBindings }>();
  const { health, metrics } = healthRoutes(app);

  hono.use(
    '*',
    hostAndOriginGuard(config, { hasToken: auth.token !== undefined, extraHost: options.extraHost }),
  );
  options.early?.(hono, auth);
  hono.route('/', health);
  hono.route('/', dashboardRoutes()); // static page, no data: before the bearer check, the page asks for the token
  hono.use('*', bearerAuth(auth));
  hono.route('/', metrics);

  const mcp = streamableHandler(
    sessions,
    () => createMcpSession(app, 'streamable-http'),
    config.sessionIdleTimeoutMs,
  );
  hono.all('/mcp', mcp);

  // Legacy HTTP+SSE transport (protocol 2024-11-05) for older clients.
  hono.get('/sse', async (c) => {
    if (sessions.size >= MAX_SESSIONS) return tooManySessions();
    const transport = new SSEServerTransport('/messages', c.env.outgoing);
    const server = createMcpSession(app, 'sse');
    sessions.set(transport.sessionId, { server, close: () => server.close() });
    transport.onclose = () => {
      sessions.delete(transport.sessionId);
    };
    c.env.outgoing.on('close', () => {
      void server.close();
    });
    await server.connect(transport);
    return RESPONSE_ALREADY_SENT;
  });
  hono.post('/messages', async (c) => {
    const sessionId = c.req.query('sessionId') ?? '';
    const session = sessions.get(sessionId) as (Session & { sse?: SSEServerTransport }) | undefined;
    const transport = session?.server.transport;
    if (!(transport instanceof SSEServerTransport)) return unknownSession();
    const body = await readJson(c.req.raw);
    if (!body.ok) return body.response;
    await transport.handlePostMessage(c.env.incoming, c.env.outgoing, body.value);
    return RESPONSE_ALREADY_SENT;
  });

  options.mount?.(hono);
  hono.notFound(() =>
    jsonError('NOT_FOUND', 'No such endpoint. MCP is served at /mcp (and legacy SSE at /sse).'),
  );
  hono.onError((err) => {
    app.log.error({ err }, 'HTTP handler failed');
    return jsonError('INTERNAL_ERROR', 'Internal error; see the server log.');
  });

  const server = await listen(hono.fetch, config.host, config.port);
  const port = (server.address() as AddressInfo).port;
  const published = await publishToken(auth, port).catch(async (err: unknown) => {
    await closeServer(server);
    throw err;
  });
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  app.log.info(
    { url: `http://${hostForUrl}:${port}/mcp` },
    'serving MCP over Streamable HTTP (legacy SSE at /sse)',
  );

  let closed: Promise<void> | undefined;
  const handle: HttpServerHandle = {
    url: `http://${hostForUrl}:${port}`,
    port,
    hono,
    server,
    auth,
    tokenFile: published.file,
    close() {
      closed ??= (async () => {
        mcp.dispose();
        await Promise.all([...sessions.values()].map((s) => s.close().catch(() => undefined)));
        sessions.clear();
        await closeServer(server);
        await published.remove();
      })();
      return closed;
    },
  };
  app.onClose(() => handle.close());
  return handle;
}

interface StreamableSession extends Session {
  transport: WebStandardStreamableHTTPServerTransport;
}

/**
 * A Streamable HTTP endpoint with stateful sessions: an initialize POST creates a session (a
 * Server from `newServer`), later requests name it in mcp-session-id. /mcp is one; the management
 * plane mounts more (one MCP server alone at /servers/{name}/mcp).
 */
export function streamableHandler(
  sessions: Map<string, Session>,
  newServer: () => Server,
  idleMs = SESSION_IDLE_MS,
): StreamableHandler {
  // A client that never sends DELETE would hold its session forever: idle ones are closed.
  const sweeper = setInterval(
    () => {
      const cutoff = Date.now() - idleMs;
      for (const session of sessions.values()) {
        if (session.lastSeen !== undefined && session.lastSeen < cutoff && !session.inFlight)
          void session.close().catch(() => undefined);
      }
    },
    Math.min(60_000, Math.max(100, idleMs / 2)),
  );
  sweeper.unref();
  const handler = async (c: Parameters<StreamableHandler>[0]): Promise<Response> => {
    const sessionId = c.req.header('mcp-session-id');
    const named = sessionId ? sessions.get(sessionId) : undefined;
    if (named?.lastSeen !== undefined) named.lastSeen = Date.now();
    if (c.req.method === 'POST') {
      const body = await readJson(c.req.raw);
      if (!body.ok) return body.response;
      if (sessionId) {
        const session = sessions.get(sessionId);
        if (!session || !(session as StreamableSession).transport) return unknownSession();
        const { transport } = session as StreamableSession;
        return whileInFlight(
          session,
          () => transport.handleRequest(c.req.raw, { parsedBody: body.value }),
          // A client that drops the stream gives up on its requests: cancel them, so the Podman work
          // they started (a build, a pull, a follow) stops too instead of running on unobserved.
          () => {
            for (const requestId of requestIdsOf(body.value))
              transport.onmessage?.({
                jsonrpc: '2.0',
                method: 'notifications/cancelled',
                params: { requestId, reason: 'the client disconnected' },
              });
          },
        );
      }
      const messages = Array.isArray(body.value) ? body.value : [body.value];
      if (!messages.some((m) => isInitializeRequest(m))) {
        return Response.json(
          errorReply(null, -32000, 'Bad Request: no mcp-session-id header; start with an initialize request'),
          { status: 400 },
        );
      }
      if (sessions.size >= MAX_SESSIONS && !(await closeLeastRecent(sessions))) return tooManySessions();
      const session = newStreamableSession(newServer(), sessions);
      await session.server.connect(session.transport);
      const res = await session.transport.handleRequest(c.req.raw, { parsedBody: body.value });
      // Refused before a session began (wrong Accept or content type, a bad batch): nothing will
      // ever name or close this server, so it goes now.
      if (session.transport.sessionId === undefined) await session.server.close().catch(() => undefined);
      return res;
    }
    if (!sessionId)
      return Response.json(errorReply(null, -32000, 'Bad Request: mcp-session-id header required'), {
        status: 400,
      });
    const session = sessions.get(sessionId) as StreamableSession | undefined;
    if (!session?.transport) return unknownSession();
    return session.transport.handleRequest(c.req.raw);
  };
  return Object.assign(handler, { dispose: () => clearInterval(sweeper) });
}

/** A Streamable HTTP endpoint; dispose() stops its idle sweeper (the sessions are the owner's to close). */
export type StreamableHandler = ((c: {
  req: { raw: Request; method: string; header(name: string): string | undefined };
}) => Promise<Response>) & { dispose(): void };

/**
 * Counts a request as under way until its response body has been sent or dropped: a tools/call
 * answered over SSE can outlast the idle timeout and must not have its session closed under it.
 */
async function whileInFlight(
  session: Session,
  handle: () => Promise<Response>,
  onDropped: () => void,
): Promise<Response> {
  session.inFlight = (session.inFlight ?? 0) + 1;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    session.inFlight = (session.inFlight ?? 1) - 1;
    session.lastSeen = Date.now();
  };
  let res: Response;
  try {
    res = await handle();
  } catch (err) {
    finish();
    throw err;
  }
  const body = res.body;
  if (!body) {
    finish();
    return res;
  }
  const reader = body.getReader();
  const tracked = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (chunk.done) {
          finish();
          controller.close();
        } else controller.enqueue(chunk.value);
      } catch (err) {
        finish();
        controller.error(err);
      }
    },
    cancel(reason) {
      if (!finished) onDropped();
      finish();
      return reader.cancel(reason);
    },
  });
  return new Response(tracked, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** The ids of the requests (not notifications or responses) in a POST body. */
function requestIdsOf(body: unknown): (string | number)[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.filter(isJSONRPCRequest).map((m) => m.id);
}

/** Open sessions are held in memory until closed; a cap keeps a client that never closes from exhausting it. */
const MAX_SESSIONS = 1000;
/** A Streamable HTTP session no request has named for this long is closed; its client starts a new one. */
const SESSION_IDLE_MS = 30 * 60_000;

/** At the cap, the session idle longest makes room if it has been idle a minute or more. */
async function closeLeastRecent(sessions: Map<string, Session>): Promise<boolean> {
  let oldest: Session | undefined;
  for (const session of sessions.values()) {
    if (session.inFlight || session.lastSeen === undefined) continue;
    if (!oldest || session.lastSeen < (oldest.lastSeen ?? 0)) oldest = session;
  }
  if (!oldest || Date.now() - (oldest.lastSeen ?? 0) < 60_000) return false;
  await oldest.close().catch(() => undefined);
  return true;
}

function tooManySessions(): Response {
  return Response.json(
    errorReply(
      null,
      -32000,
      `Too many open sessions (${MAX_SESSIONS}); close idle ones (DELETE /mcp) and retry`,
    ),
    { status: 503 },
  );
}

function newStreamableSession(server: Server, sessions: Map<string, Session>): StreamableSession {
  const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => crypto.randomUUID(),
    onsessioninitialized: (id) => {
      sessions.set(id, session);
    },
    onsessionclosed: (id) => {
      sessions.delete(id);
    },
    maxRequestBodySize: MAX_BODY,
  });
  transport.onclose = () => {
    if (transport.sessionId) sessions.delete(transport.sessionId);
  };
  const session: StreamableSession = { server, transport, close: () => server.close(), lastSeen: Date.now() };
  return session;
}

function unknownSession(): Response {
  return Response.json(
    errorReply(null, -32001, 'Session not found: it expired or was closed; start a new one with initialize'),
    { status: 404 },
  );
}

async function readJson(
  req: Request,
): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  const length = Number(req.headers.get('content-length') ?? 0);
  if (length > MAX_BODY) return { ok: false, response: tooLarge() };
  let text: string | undefined;
  try {
    text = await readCapped(req, MAX_BODY);
  } catch {
    return {
      ok: false,
      response: Response.json(errorReply(null, -32700, 'Parse error: could not read the body'), {
        status: 400,
      }),
    };
  }
  if (text === undefined) return { ok: false, response: tooLarge() };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return {
      ok: false,
      response: Response.json(errorReply(null, -32700, 'Parse error: the body is not valid JSON'), {
        status: 400,
      }),
    };
  }
}

/**
 * Reads a body up to `max` bytes, or returns undefined as soon as it grows past that. A chunked body
 * has no Content-Length, so only counting while reading keeps a client from filling our memory.
 */
export async function readCapped(req: Request, max: number): Promise<string | undefined> {
  return (await readCappedBytes(req, max))?.toString('utf8');
}

/** readCapped for bodies that may be binary (a reverse proxy forwards them untouched). */
export async function readCappedBytes(req: Request, max: number): Promise<Buffer | undefined> {
  if (!req.body) return Buffer.alloc(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    size += value.byteLength;
    if (size > max) {
      // Not cancel(): that destroys the socket before the 413 can be written. The reply closes it.
      reader.releaseLock();
      return undefined;
    }
    chunks.push(value);
  }
}

function tooLarge(): Response {
  return Response.json(errorReply(null, -32600, `Request body too large (limit ${MAX_BODY} bytes)`), {
    status: 413,
    headers: { connection: 'close' },
  });
}
