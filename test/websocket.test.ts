import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import WebSocket from 'ws';
import { call, errorOf, type HttpServerProcess, startServeProcess, stderrMatching } from './helpers/mcp.js';
import { startPodman, type TestPodman } from './helpers/podman.js';

interface WsServer extends HttpServerProcess {
  /** The same port over plain HTTP, for /health and /metrics. */
  http: string;
}

/** Starts `mcp-podman serve --transport websocket --port 0` and waits for the ws:// URL it logs. */
async function startWsServer(args: string[], env: Record<string, string> = {}): Promise<WsServer> {
  const server = await startServeProcess(
    ['--transport', 'websocket', '--port', '0', ...args],
    env,
    /"url":"(ws:\/\/[^"]+)"/,
  );
  return { ...server, http: server.url.replace(/^ws:/, 'http:').replace(/\/mcp$/, '') };
}

/** The token a server started without one generated, read from its file as a local client would. */
async function generatedToken(server: WsServer, runtime: string): Promise<{ token: string; file: string }> {
  const file = join(runtime, 'mcp-podman', `${new URL(server.url).port}.token`);
  return { token: (await readFile(file, 'utf8')).trim(), file };
}

/**
 * The SDK's WebSocket client transport uses the global WebSocket (absent on Node 20) and cannot send
 * headers, so the test installs `ws` there, with the bearer token when one is needed.
 */
async function connectWs(url: string, token?: string): Promise<Client> {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  class HeaderWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  (globalThis as { WebSocket?: unknown }).WebSocket = HeaderWebSocket;
  const client = new Client({ name: 'mcp-podman-ws-test', version: '1.0.0' });
  await client.connect(new WebSocketClientTransport(new URL(url)));
  return client;
}

/** Attempts an upgrade with `ws` and reports either the refusal status or the open socket. */
function attempt(
  url: string,
  options: { headers?: Record<string, string>; protocols?: string[] } = {},
): Promise<{ status: number; body: string } | { socket: WebSocket }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options.protocols ?? ['mcp'], { headers: options.headers });
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    socket.once('error', reject);
  });
}

function opened(result: Awaited<ReturnType<typeof attempt>>): WebSocket {
  if (!('socket' in result)) throw new Error(`expected an open socket, got ${result.status}: ${result.body}`);
  return result.socket;
}

function refused(result: Awaited<ReturnType<typeof attempt>>): {
  status: number;
  error: Record<string, string>;
} {
  if ('socket' in result) {
    result.socket.terminate();
    throw new Error('expected the upgrade to be refused');
  }
  return { status: result.status, error: JSON.parse(result.body).error };
}

function nextFrame(socket: WebSocket): Promise<Record<string, any>> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)))));
}

describe('WebSocket transport', () => {
  const token = randomBytes(24).toString('hex');
  let podman: TestPodman;
  let runtime: string;
  /** Started with no token configured: it generated one, which these tests read from its file. */
  let local: WsServer;
  let localAuth: Record<string, string>;
  let localToken: string;
  let authed: WsServer;
  const clients: Client[] = [];
  const sockets: WebSocket[] = [];

  before(async () => {
    podman = await startPodman();
    runtime = await mkdtemp(join(tmpdir(), 'mcp-podman-ws-runtime-'));
    local = await startWsServer(['--socket-path', podman.socketPath], { XDG_RUNTIME_DIR: runtime });
    localToken = (await generatedToken(local, runtime)).token;
    localAuth = { authorization: `Bearer ${localToken}` };
    authed = await startWsServer(['--socket-path', podman.socketPath], { MCP_PODMAN_AUTH_TOKEN: token });
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const s of sockets) s.terminate();
    for (const s of [local, authed]) await s?.stop();
    await rm(runtime, { recursive: true, force: true });
    const leftovers = await podman.sweep();
    await podman.stop();
    assert.equal(leftovers, 0, 'tests must remove every container they create');
  });

  it('lists and calls tools through a real SDK client, against Podman', async () => {
    const client = await connectWs(local.url, localToken);
    clients.push(client);
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'podman_ps'));
    const info = await call(client, 'podman_info');
    assert.equal(info.isError, undefined, JSON.stringify(info).slice(0, 300));
    assert.equal(info.structuredContent!.socket.endpoint, `unix://${podman.socketPath}`);
    const ps = await call(client, 'podman_ps', { all: true });
    assert.equal(ps.isError, undefined);
    const missing = errorOf(await call(client, 'podman_inspect', { container: 'mcpp-ws-absent' }));
    assert.equal(missing.code, 'CONTAINER_NOT_FOUND');
  });

  it('negotiates the "mcp" subprotocol', async () => {
    const socket = opened(await attempt(local.url, { headers: localAuth, protocols: ['other', 'mcp'] }));
    sockets.push(socket);
    assert.equal(socket.protocol, 'mcp');
    socket.close();
  });

  it('answers malformed frames with JSON-RPC errors and keeps the session', async () => {
    const socket = opened(await attempt(local.url, { headers: localAuth }));
    sockets.push(socket);
    let reply = nextFrame(socket);
    socket.send('{"jsonrpc": "2.0", "id": 1, "method": ');
    const parse = await reply;
    assert.equal(parse.error.code, -32700);
    assert.equal(parse.id, null);

    reply = nextFrame(socket);
    socket.send(JSON.stringify({ id: 7, hello: 'world' }));
    const invalid = await reply;
    assert.equal(invalid.error.code, -32600);
    assert.equal(invalid.id, 7);

    reply = nextFrame(socket);
    socket.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    );
    const init = await reply;
    assert.equal(init.id, 2);
    assert.equal(init.result.serverInfo.name, 'mcp-podman');
    socket.close();
  });

  it('refuses a foreign Origin or Host with 403 before upgrading', async () => {
    const origin = refused(
      await attempt(local.url, { headers: { ...localAuth, origin: 'https://evil.example' } }),
    );
    assert.equal(origin.status, 403);
    assert.equal(origin.error.code, 'FORBIDDEN');
    assert.match(origin.error.message!, /--allowed-origins/);
    const port = new URL(local.url).port;
    const host = refused(
      await attempt(local.url, { headers: { ...localAuth, host: `evil.example:${port}` } }),
    );
    assert.equal(host.status, 403);
    assert.match(host.error.message!, /--allowed-hosts/);
    const loopback = opened(
      await attempt(local.url, { headers: { ...localAuth, origin: `http://localhost:${port}` } }),
    );
    sockets.push(loopback);
    loopback.close();
  });

  it('refuses an upgrade without the right bearer token with 401, and accepts the right one', async () => {
    const missing = refused(await attempt(authed.url));
    assert.equal(missing.status, 401);
    assert.equal(missing.error.code, 'UNAUTHORIZED');
    const wrong = refused(
      await attempt(authed.url, { headers: { authorization: `Bearer ${'x'.repeat(48)}` } }),
    );
    assert.equal(wrong.status, 401);
    assert.ok(!authed.stderr().includes(token), 'the token is never logged');

    const client = await connectWs(authed.url, token);
    clients.push(client);
    assert.equal((await call(client, 'podman_info')).isError, undefined);

    // A browser cannot set headers: the token may ride as a second subprotocol, never echoed back.
    const carrier = (t: string) => `mcp-podman.bearer.${Buffer.from(t).toString('base64url')}`;
    const badCarrier = refused(await attempt(authed.url, { protocols: ['mcp', carrier('x'.repeat(48))] }));
    assert.equal(badCarrier.status, 401);
    assert.match(badCarrier.error.message!, /mcp-podman\.bearer\./);
    const browser = opened(await attempt(authed.url, { protocols: ['mcp', carrier(token)] }));
    sockets.push(browser);
    assert.equal(browser.protocol, 'mcp');
    browser.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
    assert.deepEqual(await nextFrame(browser), { jsonrpc: '2.0', id: 1, result: {} });
    browser.close();
    assert.ok(
      !authed.stderr().includes(carrier(token).split('.').pop()!),
      'the carried token is never logged',
    );
  });

  it('serves /health openly and /metrics behind the token on the same port', async () => {
    const health = await fetch(`${authed.http}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'healthy');
    assert.equal((await fetch(`${authed.http}/metrics`)).status, 401);
    const metrics = await fetch(`${authed.http}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /mcp_podman_active_sessions\{transport="websocket"\}/);
    const plain = await fetch(`${local.http}/mcp`, { headers: localAuth });
    assert.equal(plain.status, 426);
    const elsewhere = refused(await attempt(`${local.http.replace('http:', 'ws:')}/other`));
    assert.equal(elsewhere.status, 404);
  });

  it('with no token configured, refuses an upgrade without the generated one (401), and removes its file at exit', async () => {
    // The attack: another local process opens an MCP session on the loopback port, with no token.
    const missing = refused(await attempt(local.url));
    assert.equal(missing.status, 401);
    assert.equal(missing.error.code, 'UNAUTHORIZED');
    assert.equal((await fetch(`${local.http}/metrics`)).status, 401);
    assert.equal((await fetch(`${local.http}/health`)).status, 200);

    const own = await mkdtemp(join(tmpdir(), 'mcp-podman-ws-runtime-'));
    const server = await startWsServer(['--socket-path', podman.socketPath], { XDG_RUNTIME_DIR: own });
    const { token: generated, file } = await generatedToken(server, own);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    await stderrMatching(server, /clients send the header: Authorization: Bearer \$\(cat /);
    const socket = opened(await attempt(server.url, { headers: { authorization: `Bearer ${generated}` } }));
    socket.terminate();
    assert.equal(await server.stop(), 0);
    await assert.rejects(access(file), 'the token file is removed at shutdown');
    await rm(own, { recursive: true, force: true });
  });

  it('--unsafe-no-auth upgrades without a token, and warns', async () => {
    const server = await startWsServer(['--socket-path', podman.socketPath, '--unsafe-no-auth']);
    try {
      const socket = opened(await attempt(server.url));
      socket.terminate();
      await stderrMatching(server, /WARNING: --unsafe-no-auth/);
    } finally {
      await server.stop();
    }
  });

  it('closes every socket with 1001 on shutdown and exits cleanly', async () => {
    const server = await startWsServer(['--socket-path', podman.socketPath], {
      MCP_PODMAN_AUTH_TOKEN: token,
    });
    const headers = { authorization: `Bearer ${token}` };
    const a = opened(await attempt(server.url, { headers }));
    const b = opened(await attempt(server.url, { headers }));
    const codes = [a, b].map((s) => new Promise<number>((r) => s.once('close', (code) => r(code))));
    assert.equal(await server.stop(), 0);
    assert.deepEqual(await Promise.all(codes), [1001, 1001]);
  });
});
