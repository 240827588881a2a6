import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServerType } from '@hono/node-server';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { Hono } from 'hono';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { healthRoutes } from '../api/health.js';
import type { App } from '../server/app.js';
import { createMcpSession } from '../server/mcp.js';
import {
  authenticate,
  bearerAuth,
  type ListenerAuth,
  publishToken,
  resolveAuth,
  unauthorized,
} from './auth.js';
import { assertSafeBind, hostAndOriginGuard, jsonError } from './guards.js';
import { decodeFrame } from './jsonrpc.js';
import { closeServer, listen } from './listen.js';

/** The same cap as a Streamable HTTP body: a bigger frame closes the socket with 1009. */
const MAX_FRAME = 4 * 1024 * 1024;
const SUBPROTOCOL = 'mcp';
/**
 * Browsers cannot set headers on a WebSocket, so a browser client may carry the token as a second
 * offered subprotocol: "mcp-podman.bearer." + base64url(token). The server only ever selects "mcp".
 */
const TOKEN_SUBPROTOCOL = 'mcp-podman.bearer.';
const MCP_PATH = '/mcp';
/** A peer that misses two pings in a row is gone (laptop asleep, NAT dropped) and is terminated. */
const PING_INTERVAL_MS = 30_000;
/** How long a shutdown waits for close handshakes before cutting sockets. */
const CLOSE_GRACE_MS = 2_000;

export interface WebSocketServerHandle {
  url: string;
  port: number;
  server: ServerType;
  auth: ListenerAuth;
  /** Where a generated token was published for local clients. */
  tokenFile?: string;
  close(): Promise<void>;
}

/**
 * MCP over WebSocket (subprotocol "mcp") at ws://host:port/mcp, one SDK Server session per
 * connection. The upgrade passes the same Host/Origin guard and bearer token as HTTP; /health and
 * /metrics are served as plain HTTP on the same port.
 */
export async function startWebSocketServer(app: App): Promise<WebSocketServerHandle> {
  const { config } = app;
  assertSafeBind(config);
  const auth = resolveAuth(config);
  const guard = hostAndOriginGuard(config, { hasToken: auth.token !== undefined });
  const hono = new Hono();
  const { health, metrics } = healthRoutes(app);
  hono.use('*', guard);
  hono.route('/', health);
  hono.use('*', bearerAuth(auth));
  hono.route('/', metrics);
  hono.all(MCP_PATH, () =>
    jsonErrorWithStatus(426, 'This endpoint speaks MCP over WebSocket: connect with subprotocol "mcp".'),
  );
  hono.notFound(() =>
    jsonError('NOT_FOUND', `No such endpoint. MCP over WebSocket is served at ${MCP_PATH}.`),
  );
  hono.onError((err) => {
    app.log.error({ err }, 'HTTP handler failed');
    return jsonError('INTERNAL_ERROR', 'Internal error; see the server log.');
  });

  // Only the Host/Origin guard, run on the upgrade request; its refusal is written back as is.
  const upgradeGuard = new Hono();
  upgradeGuard.use('*', guard);
  upgradeGuard.all('*', () => new Response(null, { status: 204 }));

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  const sockets = new Set<WebSocket>();

  const server = await listen(hono.fetch, config.host, config.port);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    void refusal(req).then(
      (refused) => {
        if (refused) return void writeRefusal(socket, refused);
        wss.handleUpgrade(req, socket, head, (ws) => {
          sockets.add(ws);
          ws.once('close', () => sockets.delete(ws));
          void openSession(app, ws);
        });
      },
      (err: unknown) => {
        app.log.error({ err }, 'WebSocket upgrade failed');
        socket.destroy();
      },
    );
  });

  async function refusal(req: IncomingMessage): Promise<Response | undefined> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== MCP_PATH) {
      return jsonError('NOT_FOUND', `No WebSocket endpoint at ${path}. Connect to ${MCP_PATH}.`);
    }
    const guarded = await upgradeGuard.fetch(
      new Request(`http://upgrade${req.url ?? '/'}`, { headers: headersOf(req) }),
    );
    if (guarded.status !== 204) return guarded;
    if (!authenticate(auth, req.headers.authorization ?? subprotocolToken(req))) {
      return unauthorized(
        `Send "Authorization: Bearer <token>", or (from a browser) offer the subprotocol "${TOKEN_SUBPROTOCOL}<base64url of the token>" besides "${SUBPROTOCOL}".`,
      );
    }
    return undefined;
  }

  const alive = new WeakSet<WebSocket>();
  const heartbeat = setInterval(() => {
    for (const ws of sockets) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, PING_INTERVAL_MS);
  heartbeat.unref();
  wss.on('connection', (ws) => {
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
  });

  const port = (server.address() as AddressInfo).port;
  const published = await publishToken(auth, port).catch(async (err: unknown) => {
    clearInterval(heartbeat);
    await closeServer(server);
    throw err;
  });
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  app.log.info({ url: `ws://${hostForUrl}:${port}${MCP_PATH}` }, 'serving MCP over WebSocket');

  let closed: Promise<void> | undefined;
  const handle: WebSocketServerHandle = {
    url: `ws://${hostForUrl}:${port}${MCP_PATH}`,
    port,
    server,
    auth,
    tokenFile: published.file,
    close() {
      closed ??= (async () => {
        clearInterval(heartbeat);
        await closeSockets(sockets);
        wss.close();
        await closeServer(server);
        await published.remove();
      })();
      return closed;
    },
  };
  app.onClose(() => handle.close());
  return handle;
}

async function openSession(app: App, ws: WebSocket): Promise<void> {
  const server = createMcpSession(app, 'websocket');
  const transport = new WebSocketServerTransport(ws);
  try {
    await server.connect(transport);
  } catch (err) {
    app.log.warn({ err }, 'WebSocket session failed to start');
    ws.terminate();
  }
}

/** Sends 1001 (going away) to every peer, waits briefly for their close frames, then cuts the rest. */
async function closeSockets(sockets: Set<WebSocket>): Promise<void> {
  const closing = [...sockets].map(
    (ws) =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        const timer = setTimeout(() => {
          ws.terminate();
          resolve();
        }, CLOSE_GRACE_MS);
        ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        ws.close(1001, 'server shutting down');
      }),
  );
  await Promise.all(closing);
}

/**
 * One MCP session over one socket: a text frame is one JSON-RPC message. A malformed frame is
 * answered with a JSON-RPC error (-32700 / -32600) and the session keeps serving.
 */
export class WebSocketServerTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  private closed = false;

  constructor(private readonly ws: WebSocket) {}

  async start(): Promise<void> {
    this.ws.on('message', (data: RawData) => {
      const decoded = decodeFrame(textOf(data));
      if (decoded.ok) this.onmessage?.(decoded.message);
      else void this.sendRaw(decoded.reply);
    });
    this.ws.on('error', (err) => this.onerror?.(err));
    this.ws.once('close', () => this.finish());
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.sendRaw(message);
  }

  private sendRaw(value: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed || this.ws.readyState !== WebSocket.OPEN) return resolve();
      this.ws.send(JSON.stringify(value), (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000, 'session closed');
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }
}

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  return headers;
}

function jsonErrorWithStatus(status: number, message: string): Response {
  return Response.json({ error: { code: 'INVALID_PARAMS', message } }, { status });
}

/** The token a browser offered as a subprotocol, as an Authorization header value. */
function subprotocolToken(req: IncomingMessage): string | undefined {
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const carrier = offered.find((p) => p.startsWith(TOKEN_SUBPROTOCOL));
  if (!carrier) return undefined;
  return `Bearer ${Buffer.from(carrier.slice(TOKEN_SUBPROTOCOL.length), 'base64url').toString('utf8')}`;
}

/** Writes a refusal as a raw HTTP/1.1 response on the socket, since no server response exists yet. */
async function writeRefusal(socket: Duplex, res: Response): Promise<void> {
  const body = await res.text();
  const lines = [`HTTP/1.1 ${res.status} ${STATUS_CODES[res.status] ?? 'Error'}`];
  res.headers.forEach((value, name) => {
    if (name !== 'content-length') lines.push(`${name}: ${value}`);
  });
  lines.push(`content-length: ${Buffer.byteLength(body)}`, 'connection: close', '', body);
  socket.end(lines.join('\r\n'));
}
