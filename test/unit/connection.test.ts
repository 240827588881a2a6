import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Logger } from 'pino';
import { isMcpPodmanError } from '../../src/errors.js';
import { candidateEndpoints, PodmanConnection, parseEndpointUrl } from '../../src/podman/connection.js';

const ROOTFUL = '/run/podman/podman.sock';

describe('candidateEndpoints', () => {
  it('makes an explicit flag the only candidate', () => {
    const env = { CONTAINER_HOST: 'unix:///env.sock', XDG_RUNTIME_DIR: '/run/user/1000' };
    assert.deepEqual(candidateEndpoints({ socketPath: '/flag.sock', url: 'tcp://h:1', env }), [
      { endpoint: { kind: 'unix', socketPath: '/flag.sock' }, source: '--socket-path' },
    ]);
    assert.deepEqual(candidateEndpoints({ url: 'tcp://h:1', env }), [
      { endpoint: { kind: 'tcp', url: 'http://h:1' }, source: '--url' },
    ]);
  });

  it('tries CONTAINER_HOST, then the rootful socket, then the rootless one', () => {
    assert.deepEqual(
      candidateEndpoints({ env: { CONTAINER_HOST: 'unix:///env.sock', XDG_RUNTIME_DIR: '/run/user/1000' } }),
      [
        { endpoint: { kind: 'unix', socketPath: '/env.sock' }, source: 'CONTAINER_HOST' },
        { endpoint: { kind: 'unix', socketPath: ROOTFUL }, source: 'rootful socket' },
        {
          endpoint: { kind: 'unix', socketPath: '/run/user/1000/podman/podman.sock' },
          source: 'rootless socket',
        },
      ],
    );
    assert.deepEqual(candidateEndpoints({ env: {} }), [
      { endpoint: { kind: 'unix', socketPath: ROOTFUL }, source: 'rootful socket' },
    ]);
    assert.equal(
      candidateEndpoints({ env: { CONTAINER_HOST: '' } }).length,
      1,
      'an empty CONTAINER_HOST is no candidate',
    );
  });

  it('parses unix, tcp, http and bare paths, and refuses other schemes with a fix', () => {
    assert.deepEqual(parseEndpointUrl('unix:///a/b.sock'), { kind: 'unix', socketPath: '/a/b.sock' });
    assert.deepEqual(parseEndpointUrl('tcp://10.0.0.1:8888'), { kind: 'tcp', url: 'http://10.0.0.1:8888' });
    assert.deepEqual(parseEndpointUrl('http://h:1'), { kind: 'tcp', url: 'http://h:1' });
    assert.deepEqual(parseEndpointUrl('/a.sock'), { kind: 'unix', socketPath: '/a.sock' });
    for (const bad of ['ssh://core@host/run/podman/podman.sock', 'podman.sock', '', 'npipe:////./pipe/x']) {
      assert.throws(
        () => parseEndpointUrl(bad),
        (err) =>
          isMcpPodmanError(err) && err.code === 'INVALID_PARAMS' && /unix:\/\/\/path/.test(err.message),
        bad,
      );
    }
  });
});

/** A logger double: records the levels the connection is expected to use and fails on anything else. */
function strictLogger(allowed: string[]): { log: Logger; lines: [string, unknown[]][] } {
  const lines: [string, unknown[]][] = [];
  const log = new Proxy(
    {},
    {
      get(_target, prop) {
        if (typeof prop === 'string' && allowed.includes(prop))
          return (...args: unknown[]) => lines.push([prop, args]);
        throw new Error(`unexpected logger use: ${String(prop)}`);
      },
    },
  ) as Logger;
  return { log, lines };
}

/** A Podman double on a unix socket: it answers _ping and fails (and records) every other request. */
async function podmanDouble(socketPath: string): Promise<{ server: Server; unexpected: string[] }> {
  const unexpected: string[] = [];
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/v4.0.0/libpod/_ping') {
      res.writeHead(200, { 'Libpod-API-Version': '4.9.9', 'Content-Type': 'text/plain' });
      res.end('OK');
      return;
    }
    unexpected.push(`${req.method} ${req.url}`);
    res.writeHead(501);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { server, unexpected };
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

describe('PodmanConnection', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpp-conn-unit-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('walks the candidates in order and keeps the first that answers', async (t) => {
    if (existsSync(ROOTFUL)) return t.skip(`${ROOTFUL} exists here and would be tried before the double`);
    const stale = join(dir, 'stale.sock');
    await writeFile(stale, '');
    const runtime = join(dir, 'runtime');
    await mkdir(join(runtime, 'podman'), { recursive: true });
    const double = await podmanDouble(join(runtime, 'podman', 'podman.sock'));
    const { log, lines } = strictLogger(['info']);
    const connection = new PodmanConnection({
      embedded: false,
      env: { CONTAINER_HOST: `unix://${stale}`, XDG_RUNTIME_DIR: runtime },
      log,
    });
    try {
      await connection.get();
      assert.deepEqual(connection.info, {
        endpoint: `unix://${join(runtime, 'podman', 'podman.sock')}`,
        source: 'rootless socket',
        apiVersion: '4.9.9',
        embedded: false,
      });
      assert.equal(await connection.healthy(), true);
      assert.equal(lines.filter(([, args]) => args.includes('connected to Podman')).length, 1);
      await closeServer(double.server);
      assert.equal(await connection.healthy(), false);
      assert.deepEqual(double.unexpected, []);
    } finally {
      await connection.close();
      await closeServer(double.server);
    }
  });

  it('fails with PODMAN_NOT_CONNECTED and what it tried, then picks up a service started later', async () => {
    const socketPath = join(dir, 'later.sock');
    const { log } = strictLogger(['info']);
    const connection = new PodmanConnection({ socketPath, embedded: true, env: { PATH: '' }, log });
    try {
      const err = await connection.get().then(
        () => assert.fail('connected to nothing'),
        (e: unknown) => e,
      );
      assert.ok(isMcpPodmanError(err));
      assert.equal(err.code, 'PODMAN_NOT_CONNECTED');
      assert.deepEqual(err.details.tried, [`--socket-path unix://${socketPath}: no such socket`]);
      assert.match(err.message, /Fix: /);
      const double = await podmanDouble(socketPath);
      try {
        await connection.get();
        assert.equal(connection.info.source, '--socket-path');
        assert.deepEqual(double.unexpected, []);
      } finally {
        await closeServer(double.server);
      }
    } finally {
      await connection.close();
    }
  });

  it('says when no podman binary is there to start an embedded service', async (t) => {
    if (existsSync(ROOTFUL)) return t.skip(`${ROOTFUL} exists here`);
    const { log } = strictLogger([]);
    const connection = new PodmanConnection({ embedded: true, env: { PATH: join(dir, 'no-bin') }, log });
    try {
      await assert.rejects(connection.get(), (err) => {
        assert.ok(isMcpPodmanError(err));
        assert.deepEqual(err.details.tried, [
          `rootful socket unix://${ROOTFUL}: no such socket`,
          'embedded service: no podman binary on PATH',
        ]);
        return true;
      });
    } finally {
      await connection.close();
    }
    await assert.rejects(connection.get(), /shutting down/);
  });
});
