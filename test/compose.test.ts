import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { pageOnceUp } from './helpers/api.js';
import { BUSYBOX, ensureBusybox } from './helpers/images.js';
import { call, callWithProgress, connectStdio, errorOf, type StdioServer, textOf } from './helpers/mcp.js';
import { listContainers, startPodman, type TestPodman } from './helpers/podman.js';

const fixture = (path: string) => fileURLToPath(new URL(`./fixtures/compose/${path}`, import.meta.url));
const APP = fixture('app/docker-compose.yml');
const OUR_PROJECT = 'io.mcp-podman.compose.project';

describe('compose tools over stdio against a real Podman', () => {
  let podman: TestPodman;
  let server: StdioServer;

  /** Everything in the store that carries a project's label. */
  async function projectObjects(project: string) {
    const filters = { label: [`${OUR_PROJECT}=${project}`] };
    const containers = await podman.client.json<{ Names: string[] }[]>('GET', '/libpod/containers/json', {
      query: { all: true, filters },
    });
    const networks = await podman.client.json<{ name: string }[]>('GET', '/libpod/networks/json', {
      query: { filters },
    });
    const volumes = await podman.client.json<{ Name: string }[]>('GET', '/libpod/volumes/json', {
      query: { filters },
    });
    return {
      containers: containers.map((c) => c.Names[0]).sort(),
      networks: networks.map((n) => n.name),
      volumes: volumes.map((v) => v.Name),
    };
  }

  async function assertNothingOf(project: string) {
    assert.deepEqual(await projectObjects(project), { containers: [], networks: [], volumes: [] });
  }

  async function down(project: string) {
    const res = await call(server.client, 'podman_compose_down', {
      file: APP,
      project_name: project,
      volumes: true,
      timeout: 0,
    });
    assert.equal(res.isError, undefined, textOf(res));
    await assertNothingOf(project);
  }

  /** Polls a container's logs (via the tool) until they match; the worker fetches in a loop. */
  async function logsUntil(container: string, pattern: RegExp): Promise<string> {
    let logs = '';
    for (let i = 0; i < 60 && !pattern.test(logs); i++) {
      if (i) await sleep(500);
      const res = await call(server.client, 'podman_logs', { container, tail: -1 });
      logs = String(res.structuredContent?.logs ?? textOf(res));
    }
    return logs;
  }

  function occupy(port: number): Promise<Server> {
    return new Promise((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
  }

  before(async () => {
    podman = await startPodman();
    await ensureBusybox();
    // Compose binds follow the bind roots too: the fixtures and the scratch folders may be shared.
    server = await connectStdio(['--socket-path', podman.socketPath, '--log-level', 'warn'], {
      MCP_PODMAN_BIND_ROOTS: [fixture(''), tmpdir()].join(','),
    });
  });

  after(async () => {
    await server?.close();
    const leftovers = await podman.sweep();
    await podman.stop();
    assert.equal(leftovers, 0, 'tests must remove every container they create');
  });

  it('lists the compose tools with annotations and the documented arguments', async () => {
    const { tools } = await server.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    const up = byName.get('podman_compose_up')!;
    const props = up.inputSchema.properties as Record<string, { default?: unknown; description?: string }>;
    assert.equal(props.file?.default, 'docker-compose.yml');
    assert.equal(props.detach?.default, true);
    assert.ok(props.project_name?.description);
    assert.equal(up.annotations?.idempotentHint, true);
    const downProps = byName.get('podman_compose_down')!.inputSchema.properties as Record<
      string,
      { default?: unknown }
    >;
    assert.equal(downProps.volumes?.default, false);
    assert.equal(byName.get('podman_compose_down')!.annotations?.destructiveHint, true);
    assert.equal(byName.get('podman_compose_ps')!.annotations?.readOnlyHint, true);
  });

  it('brings up db (healthy), web (published port) and worker (reaches web by name), idempotently', async () => {
    const project = 'cmpapp';
    const { result: up, progress: sent } = await callWithProgress(
      server.client,
      'podman_compose_up',
      { file: APP, project_name: project },
      { timeout: 120_000 },
    );
    const progress = sent.map((p) => p.message ?? '');
    assert.equal(up.isError, undefined, JSON.stringify(up.content));
    const services = (up.structuredContent as any).services as {
      service: string;
      id: string;
      action: string;
    }[];
    assert.deepEqual(
      services.map((s) => [s.service, s.action]),
      [
        ['db', 'created'],
        ['web', 'created'],
        ['worker', 'created'],
      ],
    );
    assert.ok(progress.includes('Waiting for db to be healthy'), progress.join(' | '));
    assert.ok(progress.includes('Creating cmpapp-web-1'));

    assert.deepEqual(await projectObjects(project), {
      containers: ['cmpapp-db-1', 'cmpapp-web-1', 'cmpapp-worker-1'],
      networks: ['cmpapp_default'],
      volumes: ['cmpapp_data'],
    });
    const web = (await listContainers(podman.client)).find((c) => c.Names[0] === 'cmpapp-web-1')!;
    assert.equal(web.Labels?.['io.mcp-podman.managed'], 'true');
    assert.equal(web.Labels?.['com.docker.compose.project'], project);
    assert.equal(web.Labels?.['com.docker.compose.service'], 'web');
    assert.equal(web.Labels?.tier, 'front');

    assert.equal(await pageOnceUp('http://127.0.0.1:18960/'), 'hello from dotenv\n');
    const workerLogs = await logsUntil('cmpapp-worker-1', /got/);
    assert.match(workerLogs, /fetch got hello from dotenv/);

    const again = await call(server.client, 'podman_compose_up', { file: APP, project_name: project });
    assert.equal(again.isError, undefined, textOf(again));
    const second = again.structuredContent!.services as { id: string; action: string }[];
    assert.deepEqual(
      second.map((s) => s.id),
      services.map((s) => s.id),
    );
    assert.ok(second.every((s) => s.action === 'unchanged'));
    assert.deepEqual(again.structuredContent!.networksCreated, []);

    const ps = await call(server.client, 'podman_compose_ps', { file: APP, project_name: project });
    const listed = ps.structuredContent!.containers as {
      service: string;
      state: string;
      health?: string;
      ports: string[];
    }[];
    assert.deepEqual(
      listed.map((c) => [c.service, c.state]),
      [
        ['db', 'running'],
        ['web', 'running'],
        ['worker', 'running'],
      ],
    );
    assert.equal(listed[0]!.health, 'healthy');
    assert.deepEqual(listed[1]!.ports, ['127.0.0.1:18960->8080/tcp']);
    assert.deepEqual(ps.structuredContent!.notCreated, []);

    const kept = await call(server.client, 'podman_compose_down', {
      file: APP,
      project_name: project,
      timeout: 0,
    });
    assert.equal(kept.isError, undefined, textOf(kept));
    assert.deepEqual(await projectObjects(project), {
      containers: [],
      networks: [],
      volumes: ['cmpapp_data'],
    });
    await down(project);
    const nothing = await call(server.client, 'podman_compose_down', { file: APP, project_name: project });
    assert.match(textOf(nothing), /nothing to remove/);
  });

  it('rolls back a failed up: a new project leaves nothing, a changed one keeps what existed', async () => {
    const blocker = await occupy(18963);
    try {
      const fresh = errorOf(
        await call(server.client, 'podman_compose_up', {
          file: APP,
          project_name: 'cmpfail',
          variables: { WEB_PORT: '18963' },
        }),
      );
      assert.match(fresh.message, /Service "web" failed/);
      assert.match(fresh.message, /address already in use/);
      assert.match(fresh.message, /Rolled back/);
      await assertNothingOf('cmpfail');

      const up = await call(server.client, 'podman_compose_up', {
        file: APP,
        project_name: 'cmprb',
        variables: { WEB_PORT: '18961' },
      });
      assert.equal(up.isError, undefined, textOf(up));
      const before = await projectObjects('cmprb');
      const ids = (up.structuredContent!.services as { id: string }[]).map((s) => s.id);

      const changed = errorOf(
        await call(server.client, 'podman_compose_up', {
          file: APP,
          project_name: 'cmprb',
          variables: { WEB_PORT: '18963' },
          timeout: 0,
        }),
      );
      assert.match(changed.message, /1 replaced container\(s\) restored/);
      assert.deepEqual(await projectObjects('cmprb'), before);
      const ps = await call(server.client, 'podman_compose_ps', { project_name: 'cmprb' });
      const now = ps.structuredContent!.containers as { id: string; state: string }[];
      assert.deepEqual(now.map((c) => c.id).sort(), [...ids].sort());
      assert.ok(now.every((c) => c.state === 'running'));
      assert.equal(await pageOnceUp('http://127.0.0.1:18961/'), 'hello from dotenv\n');
    } finally {
      blocker.close();
    }
    await down('cmprb');
  });

  it('rolls back when the client cancels while up waits for a healthy dependency', async () => {
    const controller = new AbortController();
    const messages: string[] = [];
    const cancelled = server.client.callTool(
      {
        name: 'podman_compose_up',
        arguments: { file: APP, project_name: 'cmpcancel', variables: { WEB_PORT: '18965' } },
      },
      undefined,
      {
        signal: controller.signal,
        onprogress: (p) => {
          messages.push(p.message ?? '');
          if (p.message === 'Waiting for db to be healthy') controller.abort();
        },
      },
    );
    await assert.rejects(cancelled);
    assert.ok(messages.includes('Creating cmpcancel-db-1'), messages.join(' | '));
    // The server rolls back after the cancel arrives; give it a bounded while.
    let left = await projectObjects('cmpcancel');
    for (let i = 0; i < 40 && (left.containers.length || left.networks.length || left.volumes.length); i++) {
      await sleep(250);
      left = await projectObjects('cmpcancel');
    }
    assert.deepEqual(left, { containers: [], networks: [], volumes: [] });
  });

  it('fails and rolls back when a dependency never becomes healthy', async () => {
    const error = errorOf(
      await call(server.client, 'podman_compose_up', {
        file: fixture('bad/unhealthy.yml'),
        project_name: 'cmpsick',
      }),
    );
    assert.equal(error.code, 'PODMAN_ERROR');
    assert.match(error.message, /Service "db" did not become healthy/);
    assert.match(error.message, /containers cmpsick-db-1 removed/);
    await assertNothingOf('cmpsick');
  });

  it('refuses bad files up front, creating nothing', async () => {
    const unsupported = errorOf(
      await call(server.client, 'podman_compose_up', { file: fixture('bad/unsupported.yml') }),
    );
    assert.equal(unsupported.code, 'INVALID_PARAMS');
    assert.deepEqual(unsupported.details.unsupportedKeys, [
      'services.app.privileged',
      'services.app.cap_add',
      'services.app.deploy.replicas',
      'services.app.build.target',
      'configs',
    ]);
    assert.match(
      unsupported.message,
      /Refused on purpose.*services\.app\.cap_add \(would grant extra capabilities\)/,
    );

    const long = errorOf(
      await call(server.client, 'podman_compose_up', {
        file: fixture('bad/long-syntax.yml'),
        project_name: 'cmplong',
      }),
    );
    assert.equal(long.code, 'INVALID_PARAMS');
    for (const problem of [
      /volumes\[0\]\.source: ".*does-not-exist" does not exist; create it, or set bind\.create_host_path: true/,
      /volumes\[1\]\.source: refers to volume "undeclared"/,
      /volumes\[2\]\.type: must be volume, bind or tmpfs/,
      /volumes\[3\]\.tmpfs\.size: must be a size/,
      /volumes\[4\]\.bogus: is not supported/,
      /volumes\[4\]\.target: must be an absolute path/,
      /ports\[0\]\.published: must be one port number/,
      /ports\[1\]\.mode: must be host or ingress/,
      /ports\[2\]\.target: must be a port number/,
    ])
      assert.match(long.message, problem);
    await assertNothingOf('cmplong');

    const profiled = errorOf(
      await call(server.client, 'podman_compose_up', {
        file: fixture('bad/profile-dependency.yml'),
        project_name: 'cmpprof',
      }),
    );
    assert.equal(profiled.code, 'INVALID_PARAMS');
    assert.match(
      profiled.message,
      /depends_on\.cache: "cache" runs only with profile extras, which is not enabled/,
    );
    await assertNothingOf('cmpprof');

    const cycle = errorOf(await call(server.client, 'podman_compose_up', { file: fixture('bad/cycle.yml') }));
    assert.equal(cycle.code, 'INVALID_PARAMS');
    assert.match(cycle.message, /cycle: a -> b -> c -> a/);
    assert.match(cycle.message, /services\.d\.depends_on names unknown service "ghost"/);

    const dup = errorOf(
      await call(server.client, 'podman_compose_up', { file: fixture('bad/duplicate-names.yml') }),
    );
    assert.equal(dup.code, 'INVALID_PARAMS');
    assert.match(dup.message, /"same-name" is also the container name of service "one"/);

    const missing = errorOf(
      await call(server.client, 'podman_compose_up', {
        file: fixture('bad/missing-image.yml'),
        project_name: 'cmpbad',
      }),
    );
    assert.equal(missing.code, 'IMAGE_NOT_FOUND');
    assert.match(missing.message, /not-built-anywhere:1\.0 \(service absent\)/);
    await assertNothingOf('cmpbad');
    await assertNothingOf('bad');

    const hostBind = errorOf(
      await call(server.client, 'podman_compose_up', {
        file: fixture('bad/host-bind.yml'),
        project_name: 'cmpsnoop',
      }),
    );
    assert.equal(hostBind.code, 'FORBIDDEN');
    assert.match(hostBind.message, /Compose service "snoop" bind-mounts host path \/etc/);
    await assertNothingOf('cmpsnoop');

    const clash = await call(server.client, 'podman_run', {
      image: BUSYBOX,
      name: 'cmpclash-web-1',
      command: ['sleep', '100000'],
    });
    assert.equal(clash.isError, undefined, textOf(clash));
    try {
      const conflict = errorOf(
        await call(server.client, 'podman_compose_up', { file: APP, project_name: 'cmpclash' }),
      );
      assert.equal(conflict.code, 'CONFLICT');
      assert.match(conflict.message, /container "cmpclash-web-1" exists and is not service "web"/);
      await assertNothingOf('cmpclash');
    } finally {
      await call(server.client, 'podman_rm', { containers: ['cmpclash-web-1'], force: true, timeout: 0 });
    }
  });

  it('reads compose files and .env only under the bind roots, and server environment names only when allowed', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mcpp-compose-root-'));
    const outside = await mkdtemp(join(tmpdir(), 'mcpp-compose-outside-'));
    // Lowercase hex: each would be a valid project name, which ps prints.
    const leak = `leak${randomBytes(6).toString('hex')}`;
    const apiKey = `sk-${randomBytes(8).toString('hex')}`;
    await writeFile(join(outside, 'secret.env'), `LEAK=${leak}\n`);
    await mkdir(join(root, 'dotenv'));
    await writeFile(
      join(root, 'dotenv/compose.yml'),
      `name: \${LEAK:-cmpsafe}\nservices:\n  app:\n    image: ${BUSYBOX}\n    command: [sleep, "100000"]\n`,
    );
    await symlink(join(outside, 'secret.env'), join(root, 'dotenv/.env'));
    await mkdir(join(root, 'env'));
    await writeFile(
      join(root, 'env/key.yml'),
      `name: \${OPENAI_API_KEY:-cmpnokey}\nservices:\n  app:\n    image: ${BUSYBOX}\n`,
    );
    await writeFile(
      join(root, 'env/tag.yml'),
      `name: \${APP_TAG:-cmpnotag}\nservices:\n  app:\n    image: ${BUSYBOX}\n`,
    );
    const env = { MCP_PODMAN_BIND_ROOTS: root, OPENAI_API_KEY: apiKey, APP_TAG: 'cmpallowed' };
    const args = ['--socket-path', podman.socketPath, '--log-level', 'warn'];
    const rooted = await connectStdio(args, env);
    const allowing = await connectStdio([...args, '--compose-env', 'APP_TAG'], env);
    try {
      // A .env that is a symlink to a host file outside the roots: refused, its values nowhere.
      for (const tool of ['podman_compose_up', 'podman_compose_ps', 'podman_compose_down']) {
        const res = await call(rooted.client, tool, { file: join(root, 'dotenv/compose.yml') });
        assert.equal(errorOf(res).code, 'FORBIDDEN', `${tool}: ${textOf(res)}`);
        assert.match(errorOf(res).message, /\.env/);
        assert.ok(!JSON.stringify(res).includes(leak), JSON.stringify(res));
      }
      await assertNothingOf(leak);
      await assertNothingOf('cmpsafe');

      // A compose file outside the roots: one answer whether it exists or not, before it is read.
      const answers = new Set<string>();
      for (const file of [
        join(outside, 'secret.env'),
        join(outside, 'absent.yml'),
        join(root, 'dotenv/.env'),
      ]) {
        const error = errorOf(await call(rooted.client, 'podman_compose_ps', { file }));
        assert.equal(error.code, 'FORBIDDEN', error.message);
        assert.ok(!error.message.includes(leak));
        answers.add(error.message.replace(file, '<file>'));
      }
      assert.equal(answers.size, 1, [...answers].join('\n'));

      // The server's environment is not the compose file's to read, unless the operator names a variable.
      const projectOf = async (server: StdioServer, file: string) => {
        const res = await call(server.client, 'podman_compose_ps', { file: join(root, file) });
        assert.equal(res.isError, undefined, textOf(res));
        assert.ok(!JSON.stringify(res).includes(apiKey), JSON.stringify(res));
        return res.structuredContent!.project;
      };
      assert.equal(await projectOf(rooted, 'env/key.yml'), 'cmpnokey');
      assert.equal(await projectOf(rooted, 'env/tag.yml'), 'cmpnotag');
      assert.equal(await projectOf(allowing, 'env/key.yml'), 'cmpnokey');
      assert.equal(await projectOf(allowing, 'env/tag.yml'), 'cmpallowed');
    } finally {
      await rooted.close();
      await allowing.close();
      await rm(root, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('runs long-syntax ports and volumes, anonymous volumes, tmpfs, profiles and runtime keys; down removes it all', async () => {
    const file = fixture('full/docker-compose.yml');
    const scratch = await mkdtemp(join(tmpdir(), 'mcp-podman-compose-'));
    const createDir = join(scratch, 'made/by/compose');
    const inspect = (name: string) => podman.client.json<any>('GET', `/libpod/containers/${name}/json`);
    try {
      // A failed up removes the folders it made for bind sources (here: the port is taken). Other
      // ports than the real up's: Podman lets go of a failed container's ports a moment later.
      const blocker = await occupy(18975);
      try {
        const failed = errorOf(
          await call(server.client, 'podman_compose_up', {
            file,
            variables: { CREATE_DIR: createDir, APP_PORT: '18975', UDP_PORTS: '18976-18977' },
          }),
        );
        assert.match(
          failed.message,
          /Rolled back what this call created \(.*folders .*made removed/,
          failed.message,
        );
      } finally {
        blocker.close();
      }
      assert.ok(!existsSync(join(scratch, 'made')), 'the folders a failed up made are gone');
      await assertNothingOf('cmpfull');
      const up = await call(server.client, 'podman_compose_up', {
        file,
        variables: { CREATE_DIR: createDir, COMPOSE_PROFILES: 'debug' },
      });
      assert.equal(up.isError, undefined, textOf(up));
      // "tools" is behind profiles nobody enabled; "debug" is enabled by COMPOSE_PROFILES.
      assert.deepEqual(await projectObjects('cmpfull'), {
        containers: ['cmpfull-app-1', 'cmpfull-debug-1'],
        networks: ['cmpfull_default'],
        volumes: ['cmpfull_data'],
      });
      assert.ok(existsSync(createDir), 'bind.create_host_path made the source directory');
      assert.equal(await pageOnceUp('http://127.0.0.1:18970/'), 'served from a read-only long-syntax bind\n');

      const app = await inspect('cmpfull-app-1');
      const ports = app.NetworkSettings.Ports;
      assert.deepEqual(ports['8080/tcp'], [{ HostIp: '127.0.0.1', HostPort: '18970' }]);
      assert.match(ports['9000/tcp'][0].HostPort, /^\d+$/);
      assert.deepEqual(
        [ports['8081/udp'], ports['8082/udp']],
        [[{ HostIp: '127.0.0.1', HostPort: '18971' }], [{ HostIp: '127.0.0.1', HostPort: '18972' }]],
      );
      const mounts = Object.fromEntries(app.Mounts.map((m: any) => [m.Destination, m]));
      assert.equal(mounts['/www'].Type, 'bind');
      assert.equal(mounts['/www'].RW, false);
      assert.equal(mounts['/created'].Source, createDir);
      assert.equal(mounts['/data'].Name, 'cmpfull_data');
      assert.equal(mounts['/anon'].Type, 'volume');
      const anonymous = mounts['/anon'].Name as string;
      const volume = await podman.client.json<any>('GET', `/libpod/volumes/${anonymous}/json`);
      assert.equal(volume.Anonymous, true);
      const host = app.HostConfig;
      assert.match(host.Tmpfs['/scratch'], /size=8388608/);
      assert.match(host.Tmpfs['/scratch'], /mode=1777/);
      assert.match(host.Tmpfs['/run/app'], /size=1m/);
      assert.equal(app.Config.WorkingDir, '/www');
      assert.equal(app.Config.User, '65534:65534');
      assert.equal(app.Config.Hostname, 'cmp-host');
      assert.equal(app.Config.StopSignal, 2);
      assert.equal(app.Config.StopTimeout, 3);
      assert.deepEqual(host.ExtraHosts, ['db.example:10.1.2.3']);
      assert.ok(host.CapDrop.includes('CAP_NET_RAW'), host.CapDrop);
      assert.ok(host.SecurityOpt.includes('no-new-privileges'), host.SecurityOpt);
      assert.equal(host.Init, true);
      assert.equal(host.ReadonlyRootfs, true);
      assert.equal(host.ShmSize, 32 * 1024 * 1024);
      assert.equal(host.Memory, 64 * 1024 * 1024);
      assert.equal(host.CpuQuota, 50_000);
      assert.equal(host.PidsLimit, 64);
      assert.deepEqual(
        host.Ulimits.map((u: any) => [u.Name, u.Soft, u.Hard]),
        [
          ['RLIMIT_NOFILE', 1024, 2048],
          ['RLIMIT_NPROC', 4096, 4096],
        ],
      );
      // Inside, the settings hold: who runs, where, the read-only root and a writable tmpfs.
      const exec = await call(server.client, 'podman_exec', {
        container: 'cmpfull-app-1',
        command: [
          'sh',
          '-c',
          'id -u; pwd; hostname; grep db.example /etc/hosts; touch /rootfs 2>/dev/null || echo ro; touch /scratch/x && echo tmpfs ok',
        ],
      });
      assert.equal(exec.isError, undefined, textOf(exec));
      assert.match(
        String(exec.structuredContent?.stdout),
        /^65534\n\/www\ncmp-host\n10\.1\.2\.3\s+db\.example\nro\ntmpfs ok\n$/,
      );

      const ps = await call(server.client, 'podman_compose_ps', {
        file,
        profiles: ['debug'],
        variables: { CREATE_DIR: createDir },
      });
      assert.deepEqual(ps.structuredContent!.notCreated, []);
      const listed = ps.structuredContent!.containers as { service: string; ports: string[] }[];
      assert.ok(listed[0]!.ports.includes('127.0.0.1:18971-18972->8081-8082/udp'), listed[0]!.ports.join());
      const all = await call(server.client, 'podman_compose_ps', {
        file,
        profiles: ['*'],
        variables: { CREATE_DIR: createDir },
      });
      assert.deepEqual(all.structuredContent!.notCreated, ['tools']);

      // Without the profile, debug is left as it is and reported; nothing is recreated.
      const again = await call(server.client, 'podman_compose_up', {
        file,
        variables: { CREATE_DIR: createDir },
      });
      assert.equal(again.isError, undefined, textOf(again));
      assert.deepEqual(
        (again.structuredContent!.services as { service: string; action: string }[]).map((s) => [
          s.service,
          s.action,
        ]),
        [['app', 'unchanged']],
      );
      assert.match(
        textOf(again),
        /containers cmpfull-debug-1 belong to services whose profiles are not enabled/,
      );

      const down = await call(server.client, 'podman_compose_down', { file, volumes: true, timeout: 0 });
      assert.equal(down.isError, undefined, textOf(down));
      await assertNothingOf('cmpfull');
      const gone = await podman.client
        .call('GET', `/libpod/volumes/${anonymous}/json`, {
          notFound: { code: 'NOT_FOUND', message: 'gone' },
        })
        .then(
          () => false,
          (err) => err.code === 'NOT_FOUND',
        );
      assert.ok(gone, `anonymous volume ${anonymous} was removed with its container`);
    } finally {
      await call(server.client, 'podman_compose_down', { file, volumes: true, timeout: 0 });
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('builds, runs attached (detach=false) in dependency order and returns exit codes and logs', async () => {
    const file = fixture('oneshot/docker-compose.yml');
    const res = await call(server.client, 'podman_compose_up', {
      file,
      project_name: 'cmpone',
      detach: false,
      variables: { BUSYBOX_IMAGE: BUSYBOX },
    });
    try {
      assert.equal(res.isError, undefined, textOf(res));
      assert.deepEqual(res.structuredContent!.imagesBuilt, ['localhost/cmpone-app:latest']);
      const exits = res.structuredContent!.exits as { service: string; exitCode: number; logs: string }[];
      const byService = Object.fromEntries(exits.map((e) => [e.service, e]));
      assert.equal(byService.setup?.exitCode, 0);
      assert.equal(byService.setup?.logs, 'setup done\n');
      assert.equal(byService.app?.logs, 'built by compose\n');
      assert.equal(byService.check?.exitCode, 3);
      assert.equal(byService.check?.logs, 'checking\n');
      assert.equal(exits.at(-1)?.service, 'check');

      const unset = errorOf(
        await call(server.client, 'podman_compose_up', { file, project_name: 'cmpone2' }),
      );
      assert.equal(unset.code, 'INVALID_PARAMS');
      assert.match(unset.message, /required variable BUSYBOX_IMAGE is not set: set BUSYBOX_IMAGE/);
    } finally {
      const down = await call(server.client, 'podman_compose_down', {
        file,
        project_name: 'cmpone',
        timeout: 0,
      });
      assert.equal(down.isError, undefined, textOf(down));
      await podman.client
        .call('DELETE', '/libpod/images/localhost%2Fcmpone-app%3Alatest')
        .catch(() => undefined);
    }
    await assertNothingOf('cmpone');
  });
});
