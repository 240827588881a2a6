import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { waitFor } from './helpers/api.js';
import { refusedStart } from './helpers/cli-exit.js';
import { ensureBusybox } from './helpers/images.js';
import {
  call,
  connectHttp,
  errorOf,
  type HttpServerProcess,
  startHttpServer,
  startServeProcess,
  stderrMatching,
} from './helpers/mcp.js';
import { listContainers, startPodman, type TestPodman } from './helpers/podman.js';

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * node:http rather than fetch: fetch will not send a chosen Host header, and these tests need to
 * send exactly the bytes a hostile peer would (wrong Host, foreign Origin, endless chunked body).
 */
function raw(
  base: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawReply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends headers and `bytes` of body without ever ending the request; resolves with the answer. */
function statusForUnfinishedBody(
  base: string,
  options: { headers: Record<string, string>; bytes: number },
): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  let answered = false;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: 'POST', path: '/mcp', headers: options.headers },
      (res) => {
        answered = true;
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        const done = () => {
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        };
        res.on('end', done);
        res.on('close', done);
      },
    );
    // Once the server has answered and closed, further writes fail (EPIPE): the answer is what counts.
    req.on('error', () => undefined);
    req.on('close', () => answered || reject(new Error('the connection closed without an answer')));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < options.bytes && !req.destroyed) {
        const part = chunk.subarray(0, Math.min(chunk.length, options.bytes - sent));
        sent += part.length;
        if (!req.write(part)) return void req.once('drain', pump);
      }
    };
    pump();
  });
}

const HTTP_URL = /"url":"(http:\/\/[^"]+)\/mcp"/;

/**
 * Another local user: a process running as `nobody` (the test runs as root, which owns the Podman
 * socket) tries the loopback port with no token, and tries to read the token file.
 */
function asNobody(script: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['-e', script], { uid: 65534, gid: 65534 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout.trim()),
    ),
  );
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function jsonMetrics(url: string, headers: Record<string, string> = {}): Promise<Record<string, any>> {
  const res = await fetch(`${url}/metrics`, { headers: { accept: 'application/json', ...headers } });
  assert.equal(res.status, 200);
  return (await res.json()) as Record<string, any>;
}

describe('Streamable HTTP, legacy SSE, guards, auth, /health and /metrics', () => {
  let podman: TestPodman;
  let server: HttpServerProcess;
  const extra: HttpServerProcess[] = [];
  const clients: Client[] = [];

  async function extraServer(args: string[], env: Record<string, string> = {}): Promise<HttpServerProcess> {
    const s = await startHttpServer(args, env);
    extra.push(s);
    return s;
  }

  before(async () => {
    podman = await startPodman();
    server = await startHttpServer(['--socket-path', podman.socketPath]);
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const s of [server, ...extra]) await s?.stop();
    const leftovers = await podman.sweep();
    await podman.stop();
    assert.equal(leftovers, 0, 'tests must remove every container they create');
  });

  it('lists and calls tools over Streamable HTTP', async () => {
    const client = await connectHttp(server.url, server.auth);
    clients.push(client);
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'podman_info'));
    const info = await call(client, 'podman_info');
    assert.equal(info.isError, undefined);
    assert.equal(info.structuredContent!.socket.source, '--socket-path');
    assert.equal(info.structuredContent!.socket.endpoint, `unix://${podman.socketPath}`);
    const missing = errorOf(await call(client, 'podman_inspect', { container: 'mcpp-http-absent' }));
    assert.equal(missing.code, 'CONTAINER_NOT_FOUND');
  });

  it('keeps no session for an initialize the transport refuses', async () => {
    const before = (await jsonMetrics(server.url, server.auth)).active_sessions as number;
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    };
    for (let i = 0; i < 3; i++) {
      const refused = await raw(server.url, {
        method: 'POST',
        path: '/mcp',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...server.auth },
        body: JSON.stringify(initialize),
      });
      assert.equal(refused.status, 406, refused.body);
    }
    assert.equal((await jsonMetrics(server.url, server.auth)).active_sessions, before);
  });

  it('cancels a call whose client drops the connection, so its Podman work stops', async () => {
    const image = await ensureBusybox();
    const client = await connectHttp(server.url, server.auth);
    clients.push(client);
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
    const name = 'mcpp-http-dropped';
    const req = httpRequest({
      host: new URL(server.url).hostname,
      port: new URL(server.url).port,
      method: 'POST',
      path: '/mcp',
      headers: { ...MCP_HEADERS, ...server.auth, 'mcp-session-id': sessionId },
    });
    req.on('error', () => undefined);
    req.end(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: {
          name: 'podman_run',
          arguments: { image, name, command: ['sleep', '60'], detach: false, remove: true },
        },
      }),
    );
    const exists = async () => (await listContainers(podman.client)).some((c) => c.Names?.includes(name));
    await waitFor('the container to run', exists, 20_000);
    req.destroy();
    // run removes its container when the call ends; a call left running would keep it for 60 s.
    await waitFor(
      'the dropped call to be cancelled and its container removed',
      async () => !(await exists()),
      20_000,
    );
    assert.equal((await call(client, 'podman_info')).isError, undefined, 'the session lives on');
  });

  it('serves two concurrent sessions, and DELETE ends one of them', async () => {
    const before = (await jsonMetrics(server.url, server.auth)).active_sessions as number;
    const transports = [0, 1].map(
      () =>
        new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
          requestInit: { headers: server.auth },
        }),
    );
    const pair = transports.map(() => new Client({ name: 'mcp-podman-test', version: '1.0.0' }));
    await Promise.all(pair.map((c, i) => c.connect(transports[i]!)));
    clients.push(...pair);
    const [a, b] = transports.map((t) => t.sessionId!);
    assert.ok(a && b && a !== b, 'each client gets its own session');
    const results = await Promise.all([
      call(pair[0]!, 'podman_info'),
      call(pair[1]!, 'podman_ps', { all: true }),
      call(pair[0]!, 'podman_images'),
      call(pair[1]!, 'podman_info'),
    ]);
    for (const r of results) assert.equal(r.isError, undefined, JSON.stringify(r).slice(0, 300));
    assert.equal((await jsonMetrics(server.url, server.auth)).active_sessions, before + 2);

    const del = await raw(server.url, {
      method: 'DELETE',
      path: '/mcp',
      headers: { ...server.auth, 'mcp-session-id': a! },
    });
    assert.equal(del.status, 200);
    const after = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...MCP_HEADERS, ...server.auth, 'mcp-session-id': a! },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    assert.equal(after.status, 404);
    assert.equal(JSON.parse(after.body).error.code, -32001);
    await assert.rejects(pair[0]!.listTools());
    assert.equal((await call(pair[1]!, 'podman_info')).isError, undefined, 'the other session lives on');
    assert.equal((await jsonMetrics(server.url, server.auth)).active_sessions, before + 1);
  });

  it('keeps sessions that are never closed from piling listeners on the tool registry', async () => {
    // Each session follows the registry and the gateway; eleven unclosed ones printed
    // MaxListenersExceededWarning [ToolRegistry] when each added listeners of its own.
    const open = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const client = new Client({ name: 'mcp-podman-test', version: '1.0.0' });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
            requestInit: { headers: server.auth },
          }),
        );
        return client;
      }),
    );
    clients.push(...open);
    for (const client of open) assert.ok((await client.listTools()).tools.length > 0);
    assert.doesNotMatch(server.stderr(), /MaxListenersExceededWarning/);
  });

  it('closes a session idle for sessionIdleTimeoutMs, never one with a call under way or in use', async () => {
    const image = await ensureBusybox();
    const dir = await mkdtemp(join(tmpdir(), 'mcp-podman-idle-'));
    await writeFile(join(dir, 'config.yaml'), 'sessionIdleTimeoutMs: 1000\n');
    const idle = await extraServer([
      '--socket-path',
      podman.socketPath,
      '--config',
      join(dir, 'config.yaml'),
      '--log-level',
      'info',
    ]);
    const quiet = await connectHttp(idle.url, idle.auth);
    const pinging = await connectHttp(idle.url, idle.auth);
    const slow = await connectHttp(idle.url, idle.auth);
    clients.push(quiet, pinging, slow);
    const quietId = (quiet.transport as StreamableHTTPClientTransport).sessionId!;
    const quietAlive = async () =>
      (
        await raw(idle.url, {
          method: 'POST',
          path: '/mcp',
          headers: { ...MCP_HEADERS, ...idle.auth, 'mcp-session-id': quietId },
          body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
        })
      ).status !== 404;
    // One call that lasts three idle timeouts, with no other request on its session meanwhile.
    let running = true;
    const long = call(slow, 'podman_run', {
      image,
      command: ['sleep', '3'],
      detach: false,
      remove: true,
    }).finally(() => {
      running = false;
    });
    while (running) {
      await pinging.ping();
      await new Promise((r) => setTimeout(r, 200));
    }
    const result = await long;
    assert.equal(result.isError, undefined, JSON.stringify(result.content));
    assert.equal((await call(slow, 'podman_info')).isError, undefined, 'the slow session outlived its call');
    await waitFor('the quiet session to be closed', async () => !(await quietAlive()), 10_000);
    assert.equal((await call(pinging, 'podman_info')).isError, undefined, 'a session in use stays open');
    await rm(dir, { recursive: true, force: true });
  });

  it('lists and calls tools over the legacy SSE transport', async () => {
    const client = new Client({ name: 'mcp-podman-sse-test', version: '1.0.0' });
    await client.connect(
      new SSEClientTransport(new URL(`${server.url}/sse`), { requestInit: { headers: server.auth } }),
    );
    clients.push(client);
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'podman_ps'));
    const info = await call(client, 'podman_info');
    assert.equal(info.isError, undefined);
    assert.equal(info.structuredContent!.socket.source, '--socket-path');
  });

  it('refuses a foreign Host or Origin with 403 JSON, and lets configured ones in', async () => {
    const port = new URL(server.url).port;
    const badHost = await raw(server.url, { path: '/health', headers: { host: `evil.example:${port}` } });
    assert.equal(badHost.status, 403);
    assert.match(String(badHost.headers['content-type']), /application\/json/);
    assert.equal(JSON.parse(badHost.body).error.code, 'FORBIDDEN');
    assert.match(JSON.parse(badHost.body).error.message, /--allowed-hosts/);

    const badOrigin = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...MCP_HEADERS, ...server.auth, origin: 'https://evil.example' },
      body: INITIALIZE,
    });
    assert.equal(badOrigin.status, 403);
    assert.equal(JSON.parse(badOrigin.body).error.code, 'FORBIDDEN');
    assert.match(JSON.parse(badOrigin.body).error.message, /--allowed-origins/);

    const loopbackOrigin = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...MCP_HEADERS, ...server.auth, origin: `http://localhost:${port}` },
      body: INITIALIZE,
    });
    assert.equal(loopbackOrigin.status, 200, loopbackOrigin.body);

    const open = await extraServer([
      '--socket-path',
      podman.socketPath,
      '--allowed-hosts',
      'mcp.example.test',
      '--allowed-origins',
      'https://app.example.test',
    ]);
    const openPort = new URL(open.url).port;
    const allowed = await raw(open.url, {
      method: 'POST',
      path: '/mcp',
      headers: {
        ...MCP_HEADERS,
        ...open.auth,
        host: `mcp.example.test:${openPort}`,
        origin: 'https://app.example.test',
      },
      body: INITIALIZE,
    });
    assert.equal(allowed.status, 200, allowed.body);
    assert.ok(
      allowed.headers['mcp-session-id'],
      'an initialize through allowed Host and Origin opens a session',
    );
    const stillRefused = await raw(open.url, {
      path: '/health',
      headers: { host: `other.example.test:${openPort}`, origin: 'https://app.example.test' },
    });
    assert.equal(stillRefused.status, 403);
    const otherOrigin = await raw(open.url, {
      path: '/health',
      headers: { host: `mcp.example.test:${openPort}`, origin: 'https://evil.example' },
    });
    assert.equal(otherOrigin.status, 403);
  });

  it('requires the bearer token on /mcp, /sse and /metrics but keeps /health open', async () => {
    const token = randomBytes(24).toString('hex');
    const guarded = await extraServer(['--socket-path', podman.socketPath, '--auth-token', token]);
    for (const path of ['/mcp', '/metrics', '/sse']) {
      const res = await raw(guarded.url, {
        method: path === '/mcp' ? 'POST' : 'GET',
        path,
        headers: path === '/mcp' ? MCP_HEADERS : {},
        body: path === '/mcp' ? INITIALIZE : undefined,
      });
      assert.equal(res.status, 401, `${path} without a token`);
      assert.match(String(res.headers['www-authenticate']), /^Bearer /);
      assert.equal(JSON.parse(res.body).error.code, 'UNAUTHORIZED');
    }
    const wrong = await raw(guarded.url, {
      path: '/metrics',
      headers: { authorization: `Bearer ${'x'.repeat(token.length)}` },
    });
    assert.equal(wrong.status, 401);
    const health = await raw(guarded.url, { path: '/health' });
    assert.equal(health.status, 200);

    const authorization = `Bearer ${token}`;
    const client = await connectHttp(guarded.url, { authorization });
    clients.push(client);
    assert.equal((await call(client, 'podman_info')).isError, undefined);
    assert.equal((await raw(guarded.url, { path: '/metrics', headers: { authorization } })).status, 200);

    const envToken = randomBytes(24).toString('hex');
    const fromEnv = await extraServer(['--socket-path', podman.socketPath], {
      MCP_PODMAN_AUTH_TOKEN: envToken,
    });
    assert.equal((await raw(fromEnv.url, { path: '/metrics' })).status, 401);
    const withEnvToken = await raw(fromEnv.url, {
      path: '/metrics',
      headers: { authorization: `Bearer ${envToken}` },
    });
    assert.equal(withEnvToken.status, 200);
  });

  it('with no token configured, generates one: another local user without it gets 401, /health stays open', async () => {
    const runtime = await mkdtemp(join(tmpdir(), 'mcp-podman-runtime-'));
    const generated = await startServeProcess(
      ['--transport', 'http', '--port', '0', '--socket-path', podman.socketPath],
      { XDG_RUNTIME_DIR: runtime },
      HTTP_URL,
    );
    extra.push(generated);
    const port = new URL(generated.url).port;
    const tokenFile = join(runtime, 'mcp-podman', `${port}.token`);

    // The attack: a process running as nobody drives MCP over the loopback port with no token.
    const attack = await asNobody(
      `fetch(${JSON.stringify(`${generated.url}/mcp`)}, { method: 'POST', headers: ${JSON.stringify(MCP_HEADERS)}, body: ${JSON.stringify(INITIALIZE)} })` +
        `.then((r) => console.log(r.status))`,
    );
    assert.equal(attack, '401', 'no MCP session without the token');
    const unreadable = await asNobody(
      `require('fs').promises.readFile(${JSON.stringify(tokenFile)}).then(() => console.log('read'), (e) => console.log(e.code))`,
    );
    assert.equal(unreadable, 'EACCES', 'the token file is not readable by another user');
    for (const [method, path, host] of [
      ['POST', '/mcp'],
      ['GET', '/sse'],
      ['GET', '/metrics'],
      ['GET', '/api/activity'],
      ['GET', '/containers'],
      ['GET', '/templates'],
      ['GET', '/openapi.json'],
      ['POST', '/servers/any/mcp'],
      ['GET', '/', `any.localhost:${port}`],
    ] as const) {
      const res = await raw(generated.url, {
        method,
        path,
        headers: { ...MCP_HEADERS, ...(host ? { host } : {}) },
        body: method === 'POST' ? INITIALIZE : undefined,
      });
      assert.equal(res.status, 401, `${method} ${host ?? ''}${path} without a token`);
      assert.equal(JSON.parse(res.body).error.code, 'UNAUTHORIZED');
    }
    const health = await raw(generated.url, { path: '/health' });
    assert.equal(health.status, 200);
    assert.deepEqual(Object.keys(JSON.parse(health.body)).sort(), [
      'server_name',
      'status',
      'timestamp',
      'uptime_seconds',
      'version',
    ]);

    const file = await stat(tokenFile);
    assert.equal(file.mode & 0o777, 0o600, 'the token file is owner-only');
    assert.equal((await stat(join(runtime, 'mcp-podman'))).mode & 0o777, 0o700);
    const token = (await readFile(tokenFile, 'utf8')).trim();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    await stderrMatching(generated, /dashboard: http/);
    assert.ok(generated.stderr().includes(`Authorization: Bearer $(cat ${tokenFile})`));
    assert.ok(generated.stderr().includes(`${generated.url}/#token=${token}`), generated.stderr());
    const client = await connectHttp(generated.url, { authorization: `Bearer ${token}` });
    clients.push(client);
    assert.equal((await call(client, 'podman_info')).isError, undefined, 'the generated token works');
    const withToken = await raw(generated.url, {
      path: '/api/activity',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(withToken.status, 200);

    await client.close();
    assert.equal(await generated.stop(), 0);
    await assert.rejects(access(tokenFile), 'the token file is removed at shutdown');
    await rm(runtime, { recursive: true, force: true });
  });

  it('--unsafe-no-auth lets a request through without a token, and warns', async () => {
    const runtime = await mkdtemp(join(tmpdir(), 'mcp-podman-runtime-'));
    const open = await startServeProcess(
      ['--transport', 'http', '--port', '0', '--socket-path', podman.socketPath, '--unsafe-no-auth'],
      { XDG_RUNTIME_DIR: runtime },
      HTTP_URL,
    );
    extra.push(open);
    assert.equal((await raw(open.url, { path: '/metrics' })).status, 200);
    assert.equal((await raw(open.url, { path: '/api/activity' })).status, 200);
    await stderrMatching(open, /WARNING: --unsafe-no-auth: no token is required\. Every local user/);
    assert.deepEqual(await readdir(runtime), [], 'no token is generated or written');
    assert.equal(await open.stop(), 0);
    await rm(runtime, { recursive: true, force: true });

    const fromEnv = await startServeProcess(
      ['--transport', 'http', '--port', '0', '--socket-path', podman.socketPath],
      { MCP_PODMAN_UNSAFE_NO_AUTH: 'true' },
      HTTP_URL,
    );
    extra.push(fromEnv);
    assert.equal((await raw(fromEnv.url, { path: '/metrics' })).status, 200);
    await stderrMatching(fromEnv, /WARNING: --unsafe-no-auth/);

    const base = ['--transport', 'http', '--port', '0', '--socket-path', podman.socketPath];
    const withToken = await refusedStart([...base, '--unsafe-no-auth', '--auth-token', 'x'.repeat(24)]);
    assert.equal(withToken.code, 2);
    assert.match(withToken.stderr, /contradict/);
    const withEnableAuth = await refusedStart([...base, '--unsafe-no-auth'], { ENABLE_AUTH: 'true' });
    assert.equal(withEnableAuth.code, 2);
    assert.match(withEnableAuth.stderr, /ENABLE_AUTH is on, and it forbids --unsafe-no-auth/);
    const network = await refusedStart([...base, '--unsafe-no-auth', '--host', '0.0.0.0']);
    assert.equal(network.code, 2);
    assert.match(network.stderr, /Refusing to bind 0\.0\.0\.0 without authentication/);
  });

  it('says a taken port is taken, with a coded error and what to do, and no stack trace', async () => {
    const taken = createNetServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as { port: number };
    try {
      for (const transport of ['http', 'websocket']) {
        const { code, stderr } = await refusedStart(
          ['--transport', transport, '--port', String(port), '--socket-path', podman.socketPath],
          { MCP_PODMAN_AUTH_TOKEN: 'taken-port-token-0123456789' },
        );
        assert.equal(code, 2, stderr);
        assert.match(stderr, new RegExp(`CONFLICT: Port ${port} on 127\\.0\\.0\\.1 is already in use`));
        assert.match(stderr, /--port/);
        assert.doesNotMatch(stderr, /setupListenHandle|EADDRINUSE|\n\s+at /);
      }
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('refuses to bind 0.0.0.0 without a token (exit code 2, and says why)', async () => {
    const { code, stderr } = await refusedStart([
      '--transport',
      'http',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--socket-path',
      podman.socketPath,
    ]);
    assert.equal(code, 2);
    assert.match(stderr, /Refusing to bind 0\.0\.0\.0 without authentication/);
    assert.match(stderr, /--auth-token/);
  });

  it('answers /health with 200 and the documented fields, and 503 when Podman is unreachable', async () => {
    const res = await fetch(`${server.url}/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), [
      'server_name',
      'status',
      'timestamp',
      'uptime_seconds',
      'version',
    ]);
    assert.equal(body.status, 'healthy');
    assert.equal(body.server_name, 'mcp-podman');
    assert.match(String(body.version), /^\d+\.\d+\.\d+/);
    assert.equal(typeof body.uptime_seconds, 'number');
    assert.ok(Math.abs(Date.parse(String(body.timestamp)) - Date.now()) < 60_000);

    const dead = await extraServer(['--socket-path', join(podman.dir, 'missing.sock'), '--no-embedded']);
    const down = await fetch(`${dead.url}/health`);
    assert.equal(down.status, 503);
    const downBody = (await down.json()) as Record<string, any>;
    assert.equal(downBody.status, 'unhealthy');
    assert.equal(downBody.error.code, 'PODMAN_NOT_CONNECTED');
  });

  it('exports Prometheus counters and tool-duration buckets, and a JSON summary on request', async () => {
    const client = await connectHttp(server.url, server.auth);
    clients.push(client);
    const { tools } = await client.listTools();
    assert.equal((await call(client, 'podman_info')).isError, undefined);
    errorOf(await call(client, 'podman_top', { container: 'mcpp-metrics-absent' }));

    const res = await fetch(`${server.url}/metrics`, { headers: server.auth });
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-type')), /^text\/plain/);
    const text = await res.text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    assert.ok(value(/^mcp_podman_requests_total\{method="tools\/call"\} (\d+)/m) >= 2, text.slice(0, 2000));
    assert.ok(value(/^mcp_podman_requests_total\{method="tools\/list"\} (\d+)/m) >= 1);
    assert.ok(
      value(
        /^mcp_podman_errors_total\{method="tools\/call",tool="podman_top",code="CONTAINER_NOT_FOUND"\} (\d+)/m,
      ) >= 1,
    );
    assert.ok(
      value(/^mcp_podman_tool_call_duration_seconds_bucket\{le="\+Inf",tool="podman_info"\} (\d+)/m) >= 1,
    );
    assert.ok(
      value(/^mcp_podman_tool_call_duration_seconds_bucket\{le="60",tool="podman_info"\} (\d+)/m) >= 1,
    );
    assert.ok(value(/^mcp_podman_tool_call_duration_seconds_count\{tool="podman_info"\} (\d+)/m) >= 1);

    const summary = await jsonMetrics(server.url, server.auth);
    assert.deepEqual(Object.keys(summary).sort(), [
      'active_sessions',
      'registered_tools',
      'server_name',
      'timestamp',
      'total_errors',
      'total_requests',
      'uptime_seconds',
      'version',
    ]);
    assert.equal(summary.registered_tools, tools.length);
    assert.ok(summary.total_requests >= 3);
    assert.ok(summary.total_errors >= 1);
    assert.ok(summary.active_sessions >= 1);
    assert.equal(summary.server_name, 'mcp-podman');
  });

  it('answers a malformed body with 400 and JSON-RPC -32700, and keeps serving', async () => {
    const client = await connectHttp(server.url, server.auth);
    clients.push(client);
    for (const body of ['{"jsonrpc":"2.0",', 'not json at all', '']) {
      const res = await raw(server.url, {
        method: 'POST',
        path: '/mcp',
        headers: { ...MCP_HEADERS, ...server.auth },
        body,
      });
      assert.equal(res.status, 400, `body ${JSON.stringify(body)}`);
      const reply = JSON.parse(res.body);
      assert.equal(reply.jsonrpc, '2.0');
      assert.equal(reply.error.code, -32700);
    }
    const inSession = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: {
        ...MCP_HEADERS,
        ...server.auth,
        'mcp-session-id': (client.transport as StreamableHTTPClientTransport).sessionId!,
      },
      body: '{oops',
    });
    assert.equal(inSession.status, 400);
    assert.equal(JSON.parse(inSession.body).error.code, -32700);
    assert.equal((await call(client, 'podman_info')).isError, undefined, 'the session survives');
  });

  it('refuses an oversized body with 413, whether or not it declares its length', {
    timeout: 60_000,
  }, async () => {
    // Both bodies stay unfinished: the server must answer from what it has seen, and a server that
    // waited for the end would never answer at all.
    const declared = await statusForUnfinishedBody(server.url, {
      headers: { ...MCP_HEADERS, ...server.auth, 'content-length': String(5 * 1024 * 1024) },
      bytes: 1024,
    });
    assert.equal(declared.status, 413);
    assert.equal(JSON.parse(declared.body).error.code, -32600);
    const chunked = await statusForUnfinishedBody(server.url, {
      headers: { ...MCP_HEADERS, ...server.auth },
      bytes: 8 * 1024 * 1024,
    });
    assert.equal(chunked.status, 413);

    const client = await connectHttp(server.url, server.auth);
    clients.push(client);
    assert.equal((await call(client, 'podman_info')).isError, undefined, 'the server keeps serving');
  });
});
