import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX, ensureBusybox } from './helpers/images.js';
import { connectStdio, errorOf, type StdioServer, textOf } from './helpers/mcp.js';
import { startPodman, type TestPodman } from './helpers/podman.js';

/** The stall time the server is started with: short, so each stalled call ends in seconds. */
const STALL_MS = 2000;
/** Bounds each client request, so code that never answers fails the test instead of hanging it. */
const CALL_BOUND_MS = 60_000;

/**
 * A registry that accepts TCP connections and never writes a byte: what a registry behind a broken
 * proxy, or one that hangs, looks like to Podman.
 */
interface SilentRegistry {
  host: string;
  server: Server;
  sockets: Set<Socket>;
  connections: () => number;
}

async function startSilentRegistry(): Promise<SilentRegistry> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    // Read (and drop) what Podman sends: a socket never read would not see Podman hang up.
    socket.resume();
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { host: `127.0.0.1:${port}`, server, sockets, connections: () => connections };
}

describe('a registry that accepts the connection and never answers ends pulls, pushes and builds in TIMEOUT', () => {
  let podman: TestPodman;
  let server: StdioServer;
  let registry: SilentRegistry;
  const tagged = () => `${registry.host}/mcpp-stall/pushed:latest`;

  before(async () => {
    podman = await startPodman();
    await ensureBusybox();
    registry = await startSilentRegistry();
    server = await connectStdio([
      '--socket-path',
      podman.socketPath,
      '--log-level',
      'warn',
      '--registry-stall',
      String(STALL_MS),
    ]);
  });

  after(async () => {
    await server?.close();
    const leftovers = await podman.sweep();
    for (const s of registry?.sockets ?? []) s.destroy();
    await new Promise((r) => registry?.server.close(r));
    await podman.client
      .call('DELETE', `/libpod/images/${encodeURIComponent(tagged())}`)
      .catch(() => undefined);
    await podman.stop();
    assert.equal(leftovers, 0, 'a stalled call must leave no container behind');
  });

  async function callBounded(name: string, args: Record<string, unknown>) {
    return (await server.client.callTool({ name, arguments: args }, undefined, {
      timeout: CALL_BOUND_MS,
    })) as Parameters<typeof errorOf>[0];
  }

  /** What is left once a stalled call has ended: Podman dropped the registry, and built nothing. */
  async function assertNothingLeft(image?: string) {
    for (let i = 0; i < 100 && registry.sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(registry.sockets.size, 0, 'Podman stopped talking to the registry when the call ended');
    const containers = await podman.client.json<unknown[]>('GET', '/libpod/containers/json', {
      query: { all: true, external: true },
    });
    assert.deepEqual(containers, [], 'no container (a build working container included) was left');
    if (image) {
      const status = await podman.client
        .call('GET', `/libpod/images/${encodeURIComponent(image)}/exists`, { okStatuses: [404] })
        .catch(() => 0);
      assert.equal(status, 404, `${image} was not created`);
    }
    const info = await callBounded('podman_info', {});
    assert.equal(info.isError, undefined, textOf(info));
  }

  it('podman_pull answers TIMEOUT naming the registry and the way out', async () => {
    const image = `${registry.host}/x/y:latest`;
    const before = registry.connections();
    const error = errorOf(await callBounded('podman_pull', { image, tlsVerify: false }));
    assert.equal(error.code, 'TIMEOUT', error.message);
    assert.ok(registry.connections() > before, 'Podman did contact the silent registry');
    assert.match(error.message, new RegExp(`registry at ${registry.host} accepted the connection`));
    assert.match(error.message, /--registry-stall/);
    await assertNothingLeft(image);
  });

  it('podman_push answers TIMEOUT, and the local image is untouched', async () => {
    const tag = await callBounded('podman_tag', { image: BUSYBOX, target: tagged() });
    assert.equal(tag.isError, undefined, textOf(tag));
    const error = errorOf(await callBounded('podman_push', { image: tagged(), tlsVerify: false }));
    assert.equal(error.code, 'TIMEOUT', error.message);
    assert.match(error.message, new RegExp(`push of ${tagged()}.*registry at ${registry.host}`));
    await assertNothingLeft();
    const untag = await callBounded('podman_untag', { image: tagged(), ref: tagged() });
    assert.equal(untag.isError, undefined, textOf(untag));
  });

  it('podman_build whose FROM is on the registry answers TIMEOUT and tags nothing', async () => {
    const tag = 'localhost/mcpp-stall/built:1';
    const error = errorOf(
      await callBounded('podman_build', {
        containerfileText: `FROM ${registry.host}/x/base:latest\nRUN true\n`,
        tags: [tag],
      }),
    );
    assert.equal(error.code, 'TIMEOUT', error.message);
    assert.match(error.message, new RegExp(`registry at ${registry.host} accepted`));
    assert.match(error.message, /Nothing was tagged/);
    await assertNothingLeft(tag);
  });

  it('does not cut a build step that is silent for longer than the stall time', async () => {
    const tag = 'localhost/mcpp-stall/silent-step:1';
    const result = await callBounded('podman_build', {
      containerfileText: `FROM ${BUSYBOX}\nRUN sleep ${(STALL_MS * 2) / 1000}\n`,
      tags: [tag],
    });
    assert.equal(result.isError, undefined, textOf(result));
    const rm = await callBounded('podman_image_rm', { image: tag, force: true });
    assert.equal(rm.isError, undefined, textOf(rm));
  });
});
