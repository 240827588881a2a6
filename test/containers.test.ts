import assert from 'node:assert/strict';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX, ensureBusybox } from './helpers/images.js';
import { call, connectStdio, errorOf, type StdioServer, textOf } from './helpers/mcp.js';
import { listContainers, startPodman, type TestPodman } from './helpers/podman.js';

/** A folder under the bind roots (/tmp) to share with a container. */
const SHARED = `/tmp/mcpp-shared-${process.pid}`;

/** Inside the bind roots (/tmp) by its name, in /etc by where it leads. */
const ETC_LINK = `/tmp/mcpp-etc-link-${process.pid}`;

describe('container tools over stdio against a real Podman', () => {
  let podman: TestPodman;
  let server: StdioServer;

  before(async () => {
    await symlink('/etc', ETC_LINK);
    await mkdir(SHARED, { recursive: true });
    podman = await startPodman();
    await ensureBusybox();
    server = await connectStdio(['--socket-path', podman.socketPath, '--log-level', 'warn'], {
      MCP_PODMAN_BIND_ROOTS: '/tmp',
    });
  });

  after(async () => {
    await rm(ETC_LINK, { force: true });
    await rm(SHARED, { recursive: true, force: true });
    await server?.close();
    const leftovers = await podman.sweep();
    await podman.stop();
    assert.equal(leftovers, 0, 'tests must remove every container they create');
  });

  it('lists the documented tools with full annotations and described arguments', async () => {
    const { tools } = await server.client.listTools();
    const names = tools.map((t) => t.name);
    for (const n of [
      'podman_ps',
      'podman_run',
      'podman_stop',
      'podman_start',
      'podman_logs',
      'podman_inspect',
      'podman_images',
      'podman_pull',
      'podman_restart',
      'podman_rm',
      'podman_exec',
      'podman_stats',
      'podman_top',
      'podman_image_inspect',
      'podman_image_rm',
      'podman_info',
    ]) {
      assert.ok(names.includes(n), `missing ${n}`);
    }
    for (const t of tools) {
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        assert.equal(typeof t.annotations?.[hint], 'boolean', `${t.name} lacks ${hint}`);
      }
      for (const [arg, schema] of Object.entries(
        (t.inputSchema.properties ?? {}) as Record<string, { description?: string }>,
      )) {
        assert.ok(schema.description, `${t.name}.${arg} has no description`);
      }
    }
    const ps = tools.find((t) => t.name === 'podman_ps')!;
    const props = ps.inputSchema.properties as Record<string, { default?: unknown; maximum?: number }>;
    assert.equal(props.all?.default, false);
    assert.equal(props.limit?.default, 50);
    assert.equal(props.limit?.maximum, 100);
  });

  it('runs a detached container, labels it as ours, and lists, inspects, logs, execs, tops and stats it', async () => {
    const run = await call(server.client, 'podman_run', {
      image: BUSYBOX,
      name: 'mcpp-web',
      command: [
        'sh',
        '-c',
        'echo started; echo "err line" >&2; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done',
      ],
      env: ['GREETING=hello', 'DB_PASSWORD=hunter2-secret'],
      labels: { app: 'web' },
      memory: '64m',
      cpus: 0.5,
    });
    assert.equal(run.isError, undefined, textOf(run));
    const id = run.structuredContent!.id as string;
    assert.match(id, /^[0-9a-f]{64}$/);

    const ours = (await listContainers(podman.client)).find((c) => c.Id === id)!;
    assert.equal(ours.Labels?.['io.mcp-podman.managed'], 'true');
    assert.equal(ours.Labels?.app, 'web');

    const ps = await call(server.client, 'podman_ps', { filters: { label: 'app=web' } });
    assert.deepEqual(
      ps.structuredContent!.containers.map((c: { name: string }) => c.name),
      ['mcpp-web'],
    );
    assert.match(textOf(ps), /mcpp-web/);
    // libpod 4.3 lists an empty Status; the tool words it from the state and the start time.
    assert.match(ps.structuredContent!.containers[0].status, /^Up (Less than a second|\d+ seconds?)$/);
    assert.match(textOf(ps), /\bUp (Less than a second|\d+ seconds?)\b/);

    const inspect = await call(server.client, 'podman_inspect', { container: 'mcpp-web' });
    const env = inspect.structuredContent!.container.Config.Env as string[];
    assert.ok(env.includes('GREETING=hello'));
    assert.ok(env.includes('DB_PASSWORD=********'));
    assert.ok(!JSON.stringify(inspect).includes('hunter2-secret'), 'secret value leaked');
    assert.deepEqual(inspect.structuredContent!.redacted, ['Config.Env.DB_PASSWORD']);
    assert.equal(inspect.structuredContent!.container.HostConfig.Memory, 64 * 1024 * 1024);

    const exec = await call(server.client, 'podman_exec', {
      container: 'mcpp-web',
      command: ['sh', '-c', 'echo out; echo bad >&2; exit 3'],
    });
    assert.equal(exec.structuredContent!.exitCode, 3);
    assert.equal(exec.structuredContent!.stdout, 'out\n');
    assert.equal(exec.structuredContent!.stderr, 'bad\n');

    const top = await call(server.client, 'podman_top', { container: 'mcpp-web' });
    assert.ok(top.structuredContent!.count >= 1);
    assert.ok(JSON.stringify(top.structuredContent!.processes).includes('sh'));

    const stats = await call(server.client, 'podman_stats', { containers: ['mcpp-web'] });
    assert.equal(stats.isError, undefined, textOf(stats));
    assert.equal(stats.structuredContent!.stats[0].name, 'mcpp-web');
    assert.ok(stats.structuredContent!.stats[0].memLimitBytes <= 64 * 1024 * 1024);

    await new Promise((r) => setTimeout(r, 1200));
    const logs = await call(server.client, 'podman_logs', { container: 'mcpp-web', tail: 3 });
    const lines = (logs.structuredContent!.logs as string).trim().split('\n');
    assert.equal(lines.length, 3);
    assert.ok(lines.every((l) => l.startsWith('tick') || l === 'err line' || l === 'started'));

    const grep = await call(server.client, 'podman_logs', {
      container: 'mcpp-web',
      tail: -1,
      grep: '^(started|err line)$',
    });
    assert.equal(grep.structuredContent!.logs, 'started\nerr line\n');

    const started = Date.now();
    const follow = await call(server.client, 'podman_logs', {
      container: 'mcpp-web',
      tail: 0,
      follow: true,
      // The container prints every 200 ms; three seconds leave room for Podman to attach the stream.
      followMs: 3000,
    });
    assert.equal(follow.structuredContent!.stoppedBy, 'time');
    assert.ok(follow.structuredContent!.lines >= 1, 'follow collected new lines');
    assert.ok(Date.now() - started < 10_000, 'follow returned');

    const byLines = await call(server.client, 'podman_logs', {
      container: 'mcpp-web',
      tail: 0,
      follow: true,
      maxLines: 2,
      followMs: 60_000,
    });
    assert.equal(byLines.structuredContent!.stoppedBy, 'lines');
    assert.equal(byLines.structuredContent!.lines, 2);

    const stop = await call(server.client, 'podman_stop', { containers: ['mcpp-web'], timeout: 1 });
    assert.equal(stop.isError, undefined, textOf(stop));
    const again = await call(server.client, 'podman_stop', { containers: ['mcpp-web'] });
    assert.match(textOf(again), /already stopped/);

    const exited = await call(server.client, 'podman_ps', { all: true, filters: { name: 'mcpp-web' } });
    assert.equal(exited.structuredContent!.containers[0].state, 'exited');
    assert.match(exited.structuredContent!.containers[0].status, /^Exited \(\d+\) .+ ago$/);

    const start = await call(server.client, 'podman_start', { containers: ['mcpp-web'] });
    assert.equal(start.isError, undefined, textOf(start));
    const restart = await call(server.client, 'podman_restart', { containers: ['mcpp-web'], timeout: 1 });
    assert.equal(restart.isError, undefined, textOf(restart));

    const busy = errorOf(await call(server.client, 'podman_rm', { containers: ['mcpp-web'] }));
    assert.equal(busy.code, 'CONFLICT');
    assert.match(busy.message, /force=true/);
    const rm = await call(server.client, 'podman_rm', { containers: ['mcpp-web'], force: true, timeout: 0 });
    assert.equal(rm.isError, undefined, textOf(rm));
    assert.ok(!(await listContainers(podman.client)).some((c) => c.Id === id));
  });

  it('runs attached (detach=false), returns exit code and output, and removes with remove=true', async () => {
    const res = await call(server.client, 'podman_run', {
      image: BUSYBOX,
      command: ['sh', '-c', 'echo one; echo two >&2; exit 7'],
      detach: false,
      remove: true,
    });
    assert.equal(res.structuredContent!.exitCode, 7);
    assert.equal(res.structuredContent!.output, 'one\ntwo\n');
    const ids = (await listContainers(podman.client)).map((c) => c.Id);
    assert.ok(!ids.includes(res.structuredContent!.id), 'remove=true removed the container');
  });

  it('caps log and run output in bytes, keeping the newest', async () => {
    const run = await call(server.client, 'podman_run', {
      image: BUSYBOX,
      name: 'mcpp-chatty',
      command: ['seq', '1', '20000'],
      detach: false,
    });
    assert.equal(run.structuredContent!.exitCode, 0);
    // seq prints 108,894 bytes; the default cap is 64 KiB.
    assert.equal(run.structuredContent!.truncated, true);
    assert.equal(Buffer.byteLength(run.structuredContent!.output), 64 * 1024);
    assert.ok(run.structuredContent!.output.endsWith('20000\n'));
    const capped = await call(server.client, 'podman_logs', {
      container: 'mcpp-chatty',
      tail: -1,
      maxBytes: 1024,
    });
    const text = capped.structuredContent!.logs as string;
    assert.ok(Buffer.byteLength(text) <= 1024);
    assert.equal(capped.structuredContent!.truncated, true);
    assert.ok(text.endsWith('19999\n20000\n'), 'the newest lines are kept');
    await call(server.client, 'podman_rm', { containers: ['mcpp-chatty'] });
  });

  it('publishes ports with an IP and protocol, and mounts volumes', async () => {
    const res = await call(server.client, 'podman_run', {
      image: BUSYBOX,
      name: 'mcpp-ports',
      command: ['sleep', '30'],
      ports: ['127.0.0.1:18931:80/tcp', '18932:81/udp'],
      // A folder of its own: /tmp itself holds the tests' Podman store, which no bind may reach.
      volumes: [`${SHARED}:/host-tmp:ro`, 'mcpp-test-vol:/data'],
      workdir: '/data',
      user: 'nobody',
      // No restart policy: with a host folder it is refused (test/confinement.test.ts).
    });
    assert.equal(res.isError, undefined, textOf(res));
    const inspect = await call(server.client, 'podman_inspect', { container: 'mcpp-ports' });
    const c = inspect.structuredContent!.container;
    assert.deepEqual(c.HostConfig.PortBindings['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: '18931' }]);
    assert.deepEqual(c.HostConfig.PortBindings['81/udp'], [{ HostIp: '', HostPort: '18932' }]);
    const mounts = c.Mounts as { Destination: string; RW: boolean; Name?: string }[];
    assert.equal(mounts.find((m) => m.Destination === '/host-tmp')?.RW, false);
    assert.equal(mounts.find((m) => m.Destination === '/data')?.Name, 'mcpp-test-vol');
    assert.equal(c.Config.WorkingDir, '/data');
    assert.equal(c.Config.User, 'nobody');
    await call(server.client, 'podman_rm', {
      containers: ['mcpp-ports'],
      force: true,
      volumes: true,
      timeout: 0,
    });
    await podman.client.call('DELETE', '/libpod/volumes/mcpp-test-vol', { query: { force: true } });
  });

  it('removes what it created when start fails half-way', async () => {
    const before = (await listContainers(podman.client)).length;
    const res = await call(server.client, 'podman_run', {
      image: BUSYBOX,
      name: 'mcpp-broken',
      command: ['/no/such/binary'],
    });
    const error = errorOf(res);
    assert.equal(error.code, 'PODMAN_ERROR');
    assert.match(error.message, /removed/);
    assert.equal((await listContainers(podman.client)).length, before, 'no half-created container left');
  });

  it('answers bad input with coded errors and hints', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['podman_logs', { container: 'nope' }, 'CONTAINER_NOT_FOUND'],
      ['podman_inspect', { container: 'nope' }, 'CONTAINER_NOT_FOUND'],
      ['podman_stop', { containers: ['nope'] }, 'CONTAINER_NOT_FOUND'],
      ['podman_rm', { containers: [''] }, 'INVALID_CONTAINER_NAME'],
      ['podman_rm', { containers: ['*'] }, 'INVALID_CONTAINER_NAME'],
      ['podman_rm', { containers: [] }, 'INVALID_PARAMS'],
      ['podman_run', { image: 'no-such-image:1' }, 'IMAGE_NOT_FOUND'],
      ['podman_run', { image: 'Bad Image' }, 'INVALID_PARAMS'],
      ['podman_run', { image: BUSYBOX, ports: ['99999:80'] }, 'INVALID_PARAMS'],
      ['podman_run', { image: BUSYBOX, volumes: ['relative/path:/x'] }, 'INVALID_PARAMS'],
      // Outside the bind roots (/tmp here), also by way of .. or a symlink into /etc.
      ['podman_run', { image: BUSYBOX, volumes: ['/etc:/host-etc:ro'] }, 'FORBIDDEN'],
      ['podman_run', { image: BUSYBOX, network: 'host' }, 'FORBIDDEN'],
      ['podman_run', { image: BUSYBOX, volumes: ['/tmp/../etc:/x'] }, 'INVALID_PARAMS'],
      ['podman_run', { image: BUSYBOX, volumes: [`${ETC_LINK}:/x`] }, 'FORBIDDEN'],
      ['podman_run', { image: BUSYBOX, env: ['NOEQUALS'] }, 'INVALID_PARAMS'],
      ['podman_run', { image: BUSYBOX, name: '-bad' }, 'INVALID_PARAMS'],
      ['podman_image_inspect', { image: 'no-such-image:1' }, 'IMAGE_NOT_FOUND'],
      ['podman_image_rm', { image: '' }, 'INVALID_PARAMS'],
      ['podman_ps', { limit: 101 }, 'INVALID_PARAMS'],
      ['podman_exec', { container: 'nope', command: ['true'] }, 'CONTAINER_NOT_FOUND'],
    ];
    for (const [tool, args, code] of cases) {
      const error = errorOf(await call(server.client, tool, args));
      assert.equal(error.code, code, `${tool} ${JSON.stringify(args)}: ${error.message}`);
      assert.ok(error.message.length > 20, 'the message says what to do');
    }
    const dup1 = await call(server.client, 'podman_run', {
      image: BUSYBOX,
      name: 'mcpp-dup',
      command: ['sleep', '30'],
    });
    assert.equal(dup1.isError, undefined);
    const dup = errorOf(
      await call(server.client, 'podman_run', { image: BUSYBOX, name: 'mcpp-dup', command: ['sleep', '30'] }),
    );
    assert.equal(dup.code, 'CONFLICT');
    assert.equal(
      (await listContainers(podman.client)).filter((c) => c.Names.some((n) => n.startsWith('mcpp-dup')))
        .length,
      1,
      'the failed duplicate created nothing',
    );
    await call(server.client, 'podman_rm', { containers: ['mcpp-dup'], force: true, timeout: 0 });
  });

  it('lists, inspects and removes images, and reports info with the socket in use', async () => {
    const images = await call(server.client, 'podman_images', {
      filters: { reference: 'localhost/mcp-podman-test/busybox' },
    });
    assert.equal(images.structuredContent!.images[0].tags[0], BUSYBOX);
    const inspect = await call(server.client, 'podman_image_inspect', { image: BUSYBOX });
    assert.deepEqual(inspect.structuredContent!.image.Config.Cmd, ['/bin/sh']);
    const info = await call(server.client, 'podman_info');
    assert.equal(info.structuredContent!.socket.endpoint, `unix://${podman.socketPath}`);
    assert.match(info.structuredContent!.version, /^\d+\.\d+/);
    await podman.client.call('POST', `/libpod/images/${encodeURIComponent(BUSYBOX)}/tag`, {
      query: { repo: 'localhost/mcpp-throwaway', tag: 'x' },
    });
    const rm = await call(server.client, 'podman_image_rm', { image: 'localhost/mcpp-throwaway:x' });
    assert.deepEqual(rm.structuredContent!.untagged, ['localhost/mcpp-throwaway:x']);
    const gone = errorOf(
      await call(server.client, 'podman_image_rm', { image: 'localhost/mcpp-throwaway:x' }),
    );
    assert.equal(gone.code, 'IMAGE_NOT_FOUND');
  });
});
