import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pageOnceUp, waitFor } from './helpers/api.js';
import { BUSYBOX, ensureBusybox } from './helpers/images.js';
import { call, connectStdio, errorOf, type StdioServer, textOf } from './helpers/mcp.js';
import { listContainers, startPodman, type TestPodman } from './helpers/podman.js';

const POD = 'mcpp-pod';
const HOST_PORT = 18940;

/** Shell lines that exit on SIGTERM: a shell as PID 1 ignores it, so a stop would wait out its timeout. */
const serveHello = `trap "exit 0" TERM; echo hello-pod > /var/www/index.html; echo web-ready; httpd -f -p 8080 -h /var/www & wait`;
const chatter = `trap "exit 0" TERM; echo client-ready; i=0; while [ $i -lt 40 ]; do echo "client line $i"; i=$((i+1)); done; sleep 600 & wait`;

/** Retries a probe a bounded number of times: a server inside a container needs a moment to listen. */
describe('pod tools over stdio against a real Podman', () => {
  let podman: TestPodman;
  let server: StdioServer;

  const pods = async () =>
    (await podman.client.json<{ Name: string }[] | null>('GET', '/libpod/pods/json')) ?? [];

  before(async () => {
    podman = await startPodman();
    await ensureBusybox();
    server = await connectStdio(['--socket-path', podman.socketPath, '--log-level', 'warn']);
  });

  after(async () => {
    await server?.close();
    const leftovers = await podman.sweep();
    await podman.stop();
    assert.equal(leftovers, 0, 'tests must remove every pod and container they create');
  });

  it('lists the pod tools with full annotations', async () => {
    const { tools } = await server.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of [
      'podman_pod_create',
      'podman_pod_list',
      'podman_pod_inspect',
      'podman_pod_start',
      'podman_pod_stop',
      'podman_pod_restart',
      'podman_pod_rm',
      'podman_pod_logs',
    ])
      assert.ok(byName.has(name), `missing ${name}`);
    assert.equal(byName.get('podman_pod_rm')!.annotations?.destructiveHint, true);
    assert.equal(byName.get('podman_pod_list')!.annotations?.readOnlyHint, true);
    const logProps = Object.keys(byName.get('podman_pod_logs')!.inputSchema.properties ?? {});
    for (const arg of ['pod', 'tail', 'since', 'until', 'follow', 'timestamps', 'grep', 'maxBytes'])
      assert.ok(logProps.includes(arg), `podman_pod_logs lacks ${arg}`);
  });

  it('runs two containers in a pod that talk over localhost, publishes a port, tags logs, and stops, starts, restarts and removes it', async () => {
    const created = await call(server.client, 'podman_pod_create', {
      name: POD,
      ports: [`${HOST_PORT}:8080`],
      labels: { app: 'pod-test' },
    });
    assert.equal(created.isError, undefined, textOf(created));
    const podId = created.structuredContent!.id as string;
    assert.match(podId, /^[0-9a-f]{64}$/);

    for (const [name, script] of [
      ['mcpp-pod-web', serveHello],
      ['mcpp-pod-client', chatter],
    ] as const) {
      const run = await call(server.client, 'podman_run', {
        image: BUSYBOX,
        name,
        pod: POD,
        command: ['sh', '-c', script],
      });
      assert.equal(run.isError, undefined, textOf(run));
    }

    const viaLocalhost = await waitFor(
      'the pod to answer on localhost',
      async () => {
        const exec = await call(server.client, 'podman_exec', {
          container: 'mcpp-pod-client',
          command: ['wget', '-qO-', 'http://127.0.0.1:8080/'],
        });
        return exec.structuredContent?.exitCode === 0 ? (exec.structuredContent.stdout as string) : undefined;
      },
      20_000,
    );
    assert.equal(viaLocalhost, 'hello-pod\n');
    assert.equal(await pageOnceUp(`http://127.0.0.1:${HOST_PORT}/`), 'hello-pod\n');

    const logs = await call(server.client, 'podman_pod_logs', { pod: POD, tail: -1 });
    assert.equal(logs.isError, undefined, textOf(logs));
    const lines = (logs.structuredContent!.logs as string).trim().split('\n');
    assert.ok(lines.includes('[mcpp-pod-web] web-ready'), textOf(logs));
    assert.ok(lines.includes('[mcpp-pod-client] client-ready'), textOf(logs));
    assert.ok(
      lines.every((l) => /^\[mcpp-pod-(web|client)\] /.test(l)),
      'every line is tagged, none from infra',
    );
    assert.deepEqual(
      logs.structuredContent!.containers.map((c: { name: string }) => c.name),
      ['mcpp-pod-client', 'mcpp-pod-web'],
    );

    // 40 chatty lines must not crowd out the one quiet line: the byte cap is shared per container.
    const capped = await call(server.client, 'podman_pod_logs', { pod: POD, tail: -1, maxBytes: 256 });
    const cappedText = capped.structuredContent!.logs as string;
    assert.ok(Buffer.byteLength(cappedText) <= 256, `${Buffer.byteLength(cappedText)} bytes`);
    assert.equal(capped.structuredContent!.truncated, true);
    assert.ok(cappedText.includes('[mcpp-pod-web] web-ready'));
    assert.ok(cappedText.includes('[mcpp-pod-client] client line 39'), 'the newest lines are kept');

    const grep = await call(server.client, 'podman_pod_logs', { pod: POD, tail: -1, grep: 'ready$' });
    assert.equal(grep.structuredContent!.logs, '[mcpp-pod-client] client-ready\n[mcpp-pod-web] web-ready\n');

    const follow = await call(server.client, 'podman_pod_logs', {
      pod: POD,
      tail: 0,
      follow: true,
      followMs: 500,
    });
    assert.deepEqual(
      follow.structuredContent!.containers.map((c: { stoppedBy: string }) => c.stoppedBy),
      ['time', 'time'],
      'a follow watches every container and ends at its bound',
    );
    assert.match(textOf(follow), /follow ended after its time bound/);

    const listed = await call(server.client, 'podman_pod_list', { filters: { label: 'app=pod-test' } });
    assert.equal(listed.structuredContent!.count, 1);
    const pod = listed.structuredContent!.pods[0];
    assert.equal(pod.name, POD);
    assert.equal(pod.status, 'Running');
    assert.equal(pod.labels['io.mcp-podman.managed'], 'true');
    assert.deepEqual(pod.containers.map((c: { name: string }) => c.name).sort(), [
      'mcpp-pod-client',
      'mcpp-pod-web',
    ]);
    const none = await call(server.client, 'podman_pod_list', {
      filters: { label: 'app=pod-test', status: 'exited' },
    });
    assert.equal(none.structuredContent!.count, 0, 'filters combine');

    const inspect = await call(server.client, 'podman_pod_inspect', { pod: POD });
    assert.equal(inspect.structuredContent!.pod.Id, podId);
    assert.equal(inspect.structuredContent!.pod.State, 'Running');
    assert.deepEqual(inspect.structuredContent!.ports, [`${HOST_PORT}->8080/tcp`]);
    assert.match(textOf(inspect), /mcpp-pod-web \(running\)/);
    assert.deepEqual([...inspect.structuredContent!.pod.SharedNamespaces].sort(), ['ipc', 'net', 'uts']);

    const busy = errorOf(await call(server.client, 'podman_pod_rm', { pod: POD }));
    assert.equal(busy.code, 'CONFLICT');
    assert.match(busy.message, /force=true/);
    assert.equal(
      (await listContainers(podman.client)).filter((c) => c.Names[0]?.startsWith('mcpp-pod-')).length,
      2,
      'a refused removal removes no container',
    );

    const stop = await call(server.client, 'podman_pod_stop', { pod: POD, timeout: 5 });
    assert.equal(stop.structuredContent!.changed, true, textOf(stop));
    const stopped = await call(server.client, 'podman_pod_inspect', { pod: POD });
    assert.equal(stopped.structuredContent!.pod.State, 'Exited');
    const again = await call(server.client, 'podman_pod_stop', { pod: POD });
    assert.match(textOf(again), /already stopped/);

    const start = await call(server.client, 'podman_pod_start', { pod: POD });
    assert.equal(start.structuredContent!.changed, true, textOf(start));
    assert.equal(await pageOnceUp(`http://127.0.0.1:${HOST_PORT}/`), 'hello-pod\n');

    const restart = await call(server.client, 'podman_pod_restart', { pod: POD });
    assert.equal(restart.isError, undefined, textOf(restart));
    const restarted = await call(server.client, 'podman_pod_inspect', { pod: POD });
    assert.equal(restarted.structuredContent!.pod.State, 'Running');
    assert.equal(await pageOnceUp(`http://127.0.0.1:${HOST_PORT}/`), 'hello-pod\n');

    const rm = await call(server.client, 'podman_pod_rm', { pod: POD, force: true, timeout: 2 });
    assert.equal(rm.isError, undefined, textOf(rm));
    assert.deepEqual(rm.structuredContent!.removedContainers, ['mcpp-pod-client', 'mcpp-pod-web']);
    assert.ok(!(await pods()).some((p) => p.Name === POD));
    assert.ok(!(await listContainers(podman.client)).some((c) => c.Names[0]?.startsWith('mcpp-pod-')));
  });

  it('creates pods with chosen namespaces and none without infra, and reports empty logs', async () => {
    const shared = await call(server.client, 'podman_pod_create', {
      name: 'mcpp-pod-pid',
      share: ['pid', 'net'],
    });
    assert.equal(shared.isError, undefined, textOf(shared));
    const inspect = await call(server.client, 'podman_pod_inspect', { pod: 'mcpp-pod-pid' });
    assert.deepEqual([...inspect.structuredContent!.pod.SharedNamespaces].sort(), ['net', 'pid']);
    const bare = await call(server.client, 'podman_pod_create', { name: 'mcpp-pod-bare', infra: false });
    assert.equal(bare.isError, undefined, textOf(bare));
    const bareInfo = await call(server.client, 'podman_pod_inspect', { pod: 'mcpp-pod-bare' });
    assert.equal(bareInfo.structuredContent!.pod.InfraContainerID ?? '', '');
    const empty = await call(server.client, 'podman_pod_logs', { pod: 'mcpp-pod-pid' });
    assert.equal(empty.structuredContent!.logs, '');
    assert.match(textOf(empty), /no containers besides its infra/);
    for (const name of ['mcpp-pod-pid', 'mcpp-pod-bare']) {
      const rm = await call(server.client, 'podman_pod_rm', { pod: name });
      assert.equal(rm.isError, undefined, textOf(rm));
    }
  });

  it('refuses a duplicate name and an unknown network without leaving anything half-created', async () => {
    const first = await call(server.client, 'podman_pod_create', { name: 'mcpp-pod-dup' });
    assert.equal(first.isError, undefined, textOf(first));
    const podsBefore = (await pods()).length;
    const containersBefore = (await listContainers(podman.client)).length;

    const dup = errorOf(await call(server.client, 'podman_pod_create', { name: 'mcpp-pod-dup' }));
    assert.equal(dup.code, 'CONFLICT');
    assert.match(dup.message, /podman_pod_rm/);
    const noNet = errorOf(
      await call(server.client, 'podman_pod_create', { name: 'mcpp-pod-nonet', network: 'mcpp-no-such-net' }),
    );
    assert.equal(noNet.code, 'NETWORK_NOT_FOUND');
    assert.match(noNet.message, /podman_network_list/);

    assert.equal((await pods()).length, podsBefore, 'no pod was left behind');
    assert.equal((await listContainers(podman.client)).length, containersBefore, 'no infra container left');
    const rm = await call(server.client, 'podman_pod_rm', { pod: 'mcpp-pod-dup' });
    assert.equal(rm.isError, undefined, textOf(rm));
  });

  it('answers unknown pods and bad input with coded errors and hints', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['podman_pod_inspect', { pod: 'mcpp-nope' }, 'POD_NOT_FOUND'],
      ['podman_pod_start', { pod: 'mcpp-nope' }, 'POD_NOT_FOUND'],
      ['podman_pod_stop', { pod: 'mcpp-nope' }, 'POD_NOT_FOUND'],
      ['podman_pod_restart', { pod: 'mcpp-nope' }, 'POD_NOT_FOUND'],
      ['podman_pod_rm', { pod: 'mcpp-nope', force: true }, 'POD_NOT_FOUND'],
      ['podman_pod_logs', { pod: 'mcpp-nope' }, 'POD_NOT_FOUND'],
      ['podman_pod_create', { name: '' }, 'INVALID_PARAMS'],
      ['podman_pod_create', { name: 'bad name' }, 'INVALID_PARAMS'],
      ['podman_pod_create', { name: '-bad' }, 'INVALID_PARAMS'],
      ['podman_pod_create', { name: 'mcpp-x', ports: ['99999:80'] }, 'INVALID_PARAMS'],
      ['podman_pod_create', { name: 'mcpp-x', share: ['bogus'] }, 'INVALID_PARAMS'],
      ['podman_pod_create', { name: 'mcpp-x', infra: false, ports: ['18941:80'] }, 'INVALID_PARAMS'],
      ['podman_pod_create', { name: 'mcpp-x', share: ['ipc'], ports: ['18941:80'] }, 'INVALID_PARAMS'],
      ['podman_pod_create', { name: 'mcpp-x', network: 'host', ports: ['18941:80'] }, 'INVALID_PARAMS'],
      ['podman_pod_create', { name: 'mcpp-x', network: 'host' }, 'FORBIDDEN'],
      ['podman_pod_rm', { pod: '' }, 'INVALID_PARAMS'],
      ['podman_pod_rm', { pod: '*' }, 'INVALID_PARAMS'],
      ['podman_pod_rm', { pod: ' ' }, 'INVALID_PARAMS'],
      ['podman_pod_list', { limit: 101 }, 'INVALID_PARAMS'],
    ];
    for (const [tool, args, code] of cases) {
      const error = errorOf(await call(server.client, tool, args));
      assert.equal(error.code, code, `${tool} ${JSON.stringify(args)}: ${error.message}`);
      assert.ok(error.message.length > 20, 'the message says what to do');
    }
    assert.match(
      errorOf(await call(server.client, 'podman_pod_inspect', { pod: 'mcpp-nope' })).message,
      /podman_pod_list/,
    );
    assert.ok(!(await pods()).some((p) => p.Name === 'mcpp-x'), 'refused input created nothing');
  });
});
