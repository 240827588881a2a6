import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX, ensureBusybox } from './helpers/images.js';
import { call, connectStdio, errorOf, type StdioServer, textOf } from './helpers/mcp.js';
import { listContainers, STORE, startPodman, type TestPodman } from './helpers/podman.js';

/**
 * The attacks of the security audit, each as a test: what a client may not get of the host,
 * checked on the request and again on what Podman actually created, at create and at every start.
 */
describe('container confinement: what Podman made is checked at create and at every start', () => {
  let podman: TestPodman;
  let server: StdioServer;
  let root: string;
  const tag = `c${process.pid}`;

  const pods = async () =>
    ((await podman.client.json<{ Name: string }[] | null>('GET', '/libpod/pods/json')) ?? []).map(
      (p) => p.Name,
    );
  const containers = async () => (await listContainers(podman.client)).map((c) => c.Names[0]);
  const stateOf = async (name: string) =>
    (await podman.client.json<{ State: { Status: string } }>('GET', `/libpod/containers/${name}/json`)).State
      .Status;

  before(async () => {
    podman = await startPodman();
    await ensureBusybox();
    root = await mkdtemp(join(tmpdir(), 'mcpp-confine-'));
    server = await connectStdio(['--socket-path', podman.socketPath, '--log-level', 'warn'], {
      MCP_PODMAN_BIND_ROOTS: root,
    });
  });

  after(async () => {
    await server?.close();
    const leftovers = await podman.sweep();
    for (const v of [`${tag}-opvol`])
      await podman.client
        .call('DELETE', `/libpod/volumes/${v}`, { okStatuses: [404] })
        .catch(() => undefined);
    await podman.stop();
    await rm(root, { recursive: true, force: true });
    assert.equal(leftovers, 0, 'tests must remove every container and pod they create');
  });

  const pod = (name: string, spec: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
  const container = (extra = '') =>
    `  containers:\n  - name: c\n    image: ${BUSYBOX}\n    command: [sleep, "600"]\n${extra}`;

  it('refuses kube YAML whose keys differ only in case, which Podman reads as one (the last)', async () => {
    // Podman took `add` and granted DAC_READ_SEARCH while a check read `ADD: []`.
    const caps = errorOf(
      await call(server.client, 'podman_kube_play', {
        yaml: pod(
          `${tag}-caps`,
          container(
            '    securityContext:\n      capabilities:\n        ADD: []\n        add: [DAC_READ_SEARCH]\n',
          ),
        ),
      }),
    );
    assert.equal(caps.code, 'INVALID_PARAMS');
    assert.match(caps.message, /differ only in case.*"ADD" and "add"/);
    // With a bind root set, `{Path: <allowed>, path: /}` mounted the host's /.
    const hostPath = errorOf(
      await call(server.client, 'podman_kube_play', {
        yaml: pod(
          `${tag}-hp`,
          `  restartPolicy: Never\n${container('    volumeMounts: [{name: h, mountPath: /h}]\n')}` +
            `  volumes:\n  - name: h\n    hostPath:\n      Path: ${root}\n      path: /\n`,
        ),
      }),
    );
    assert.equal(hostPath.code, 'INVALID_PARAMS');
    assert.match(hostPath.message, /"Path" and "path"/);
    assert.deepEqual(await pods(), [], 'nothing was played');
  });

  it('reads kube YAML as Podman does (YAML 1.1: yes is true), and refuses subPath', async () => {
    for (const [spec, refused] of [
      [container('    securityContext: {privileged: yes}\n'), /securityContext\.privileged/],
      [`  hostNetwork: on\n${container()}`, /hostNetwork/],
      [
        `${container('    volumeMounts: [{name: v, mountPath: /v, subPath: etc}]\n')}  volumes:\n  - name: v\n    emptyDir: {}\n`,
        /volumeMounts\[0\]\.subPath/,
      ],
    ] as const) {
      const res = errorOf(await call(server.client, 'podman_kube_play', { yaml: pod(`${tag}-y11`, spec) }));
      assert.equal(res.code, 'FORBIDDEN', res.message);
      assert.match(res.message, refused);
    }
    assert.deepEqual(await pods(), [], 'nothing was played');
  });

  it('plays a hostPath by its real path, and only with restartPolicy Never', async () => {
    await mkdir(join(root, 'real'));
    await symlink(join(root, 'real'), join(root, 'via-link'));
    const volumes = `  volumes:\n  - name: h\n    hostPath:\n      path: ${join(root, 'via-link')}\n`;
    const mounts = '    volumeMounts: [{name: h, mountPath: /h}]\n';
    const restarting = errorOf(
      await call(server.client, 'podman_kube_play', { yaml: pod(`${tag}-rp`, container(mounts) + volumes) }),
    );
    assert.equal(restarting.code, 'FORBIDDEN');
    assert.match(restarting.message, /restartPolicy Always \(the default\): set restartPolicy: Never/);

    const played = await call(server.client, 'podman_kube_play', {
      yaml: pod(`${tag}-rp`, `  restartPolicy: Never\n${container(mounts)}${volumes}`),
    });
    assert.equal(played.isError, undefined, textOf(played));
    const info = await podman.client.json<{ Mounts: { Source: string; Destination: string }[] }>(
      'GET',
      `/libpod/containers/${tag}-rp-c/json`,
    );
    assert.equal(info.Mounts.find((m) => m.Destination === '/h')?.Source, join(root, 'real'));
    await podman.client.call('DELETE', `/libpod/pods/${tag}-rp`, { query: { force: true } });
  });

  it("checks what a play created: a claim naming an operator's bind volume outside the roots is undone", async () => {
    // The YAML names only a claim; what it leads to is known only once Podman made the pod.
    await podman.client.json('POST', '/libpod/volumes/create', {
      body: { Name: `${tag}-opvol`, Options: { type: 'none', o: 'bind', device: '/etc' } },
    });
    const res = errorOf(
      await call(server.client, 'podman_kube_play', {
        yaml: pod(
          `${tag}-claim`,
          `  restartPolicy: Never\n${container('    volumeMounts: [{name: v, mountPath: /v}]\n')}` +
            `  volumes:\n  - name: v\n    persistentVolumeClaim: {claimName: ${tag}-opvol}\n`,
        ),
      }),
    );
    assert.equal(res.code, 'FORBIDDEN');
    assert.match(res.message, /mounts host path \/etc, which leads to \/etc, outside the shared folders/);
    assert.match(res.message, /removed again \(pods: .*-claim/);
    assert.deepEqual(await pods(), []);
  });

  it('checks what podman_run created: a host-network pod or a bind volume of the operator is refused and removed', async () => {
    await podman.client.json('POST', '/libpod/pods/create', {
      body: { name: `${tag}-hostnet`, netns: { nsmode: 'host' } },
    });
    const inPod = errorOf(
      await call(server.client, 'podman_run', {
        image: BUSYBOX,
        name: `${tag}-joiner`,
        pod: `${tag}-hostnet`,
        command: ['sleep', '600'],
      }),
    );
    assert.equal(inPod.code, 'FORBIDDEN');
    assert.match(inPod.message, /shares the host's network namespace/);
    const viaVolume = errorOf(
      await call(server.client, 'podman_run', {
        image: BUSYBOX,
        name: `${tag}-vol`,
        volumes: [`${tag}-opvol:/v`],
        command: ['sleep', '600'],
      }),
    );
    assert.equal(viaVolume.code, 'FORBIDDEN');
    assert.match(viaVolume.message, /host path \/etc/);
    const left = await containers();
    assert.ok(!left.includes(`${tag}-joiner`) && !left.includes(`${tag}-vol`), `nothing was left: ${left}`);
    await podman.client.call('DELETE', `/libpod/pods/${tag}-hostnet`, { query: { force: true } });
  });

  it('refuses a restart policy on a container with host folders: Podman would restart it unchecked', async () => {
    const res = errorOf(
      await call(server.client, 'podman_run', {
        image: BUSYBOX,
        name: `${tag}-always`,
        volumes: [`${root}:/r`],
        restart: 'always',
        command: ['true'],
      }),
    );
    assert.equal(res.code, 'INVALID_PARAMS');
    assert.match(res.message, /restart "always".*Leave the restart policy off/);
    assert.ok(!(await containers()).includes(`${tag}-always`));
  });

  it('refuses a bind below a folder another container can write, whichever comes first', async () => {
    // A could swap R/x for a link between any check and Podman's mount: so no B may bind R/x.
    await mkdir(join(root, 'x'), { recursive: true });
    const run = (name: string, volume: string) =>
      call(server.client, 'podman_run', {
        image: BUSYBOX,
        name,
        volumes: [volume],
        command: ['sleep', '600'],
      });
    const a = await run(`${tag}-a`, `${root}:/r`);
    assert.equal(a.isError, undefined, textOf(a));
    const b = errorOf(await run(`${tag}-b`, `${join(root, 'x')}:/x`));
    assert.equal(b.code, 'FORBIDDEN');
    assert.match(b.message, new RegExp(`lies inside ${root}, which container ${tag}-a can write`));
    const played = errorOf(
      await call(server.client, 'podman_kube_play', {
        yaml: pod(
          `${tag}-p`,
          `  restartPolicy: Never\n${container('    volumeMounts: [{name: h, mountPath: /h}]\n')}` +
            `  volumes:\n  - name: h\n    hostPath: {path: ${join(root, 'x')}}\n`,
        ),
      }),
    );
    assert.equal(played.code, 'FORBIDDEN', 'kube play is checked the same way');
    await call(server.client, 'podman_rm', { containers: [`${tag}-a`], force: true, timeout: 0 });

    // The other way round: B binds R/x first, then A may not have R writable.
    const first = await run(`${tag}-b`, `${join(root, 'x')}:/x`);
    assert.equal(first.isError, undefined, textOf(first));
    const writer = errorOf(await run(`${tag}-a`, `${root}:/r`));
    assert.equal(writer.code, 'FORBIDDEN');
    assert.match(
      writer.message,
      new RegExp(`can write host folder ${root}, inside which container ${tag}-b mounts`),
    );
    const reader = await run(`${tag}-a`, `${root}:/r:ro`);
    assert.equal(reader.isError, undefined, `read-only is fine: ${textOf(reader)}`);
    await call(server.client, 'podman_rm', { containers: [`${tag}-a`, `${tag}-b`], force: true, timeout: 0 });
    assert.deepEqual(await pods(), []);
    const left = await containers();
    assert.ok(!left.some((n) => n?.startsWith(`${tag}-`)), `nothing was left: ${left}`);
  });

  it('refuses to start a container whose bind source became a link to / since its create', async () => {
    await mkdir(join(root, 'y'), { recursive: true });
    await mkdir(join(root, 'z'), { recursive: true });
    const b = await call(server.client, 'podman_run', {
      image: BUSYBOX,
      name: `${tag}-b`,
      volumes: [`${join(root, 'y')}:/y`],
      command: ['ls', '/y'],
    });
    assert.equal(b.isError, undefined, textOf(b));
    const played = await call(server.client, 'podman_kube_play', {
      yaml: pod(
        `${tag}-p`,
        `  restartPolicy: Never\n${container('    volumeMounts: [{name: h, mountPath: /h}]\n')}` +
          `  volumes:\n  - name: h\n    hostPath: {path: ${join(root, 'z')}}\n`,
      ),
    });
    assert.equal(played.isError, undefined, textOf(played));
    await call(server.client, 'podman_pod_stop', { pod: `${tag}-p`, timeout: 0 });
    for (let i = 0; i < 50 && (await stateOf(`${tag}-b`)) === 'running'; i++)
      await new Promise((r) => setTimeout(r, 100));
    // Someone on the host swaps both folders for links to /.
    for (const d of ['y', 'z']) {
      await rm(join(root, d), { recursive: true });
      await symlink('/', join(root, d));
    }
    for (const tool of ['podman_start', 'podman_restart']) {
      const res = errorOf(await call(server.client, tool, { containers: [`${tag}-b`] }));
      assert.equal(res.code, 'FORBIDDEN', `${tool}: ${res.message}`);
      assert.match(res.message, new RegExp(`mounts host path ${join(root, 'y')}, which leads to /,`));
      assert.notEqual(await stateOf(`${tag}-b`), 'running', `${tool} did not start it`);
    }
    const podStart = errorOf(await call(server.client, 'podman_pod_start', { pod: `${tag}-p` }));
    assert.equal(podStart.code, 'FORBIDDEN');
    assert.match(podStart.message, /Pod .*-p may not start/);
    assert.notEqual(await stateOf(`${tag}-p-c`), 'running');
    await call(server.client, 'podman_rm', { containers: [`${tag}-b`], force: true, timeout: 0 });
    await podman.client.call('DELETE', `/libpod/pods/${tag}-p`, { query: { force: true } });
  });

  it("refuses a bind that holds Podman's storage or lies inside it, read-only too", async () => {
    // Roots that cover the tests' store: a bind there reaches every container's layers and secrets.
    const wide = await connectStdio(['--socket-path', podman.socketPath, '--log-level', 'warn'], {
      MCP_PODMAN_BIND_ROOTS: tmpdir(),
    });
    try {
      for (const source of [STORE, join(STORE, 'root')]) {
        const res = errorOf(
          await call(wide.client, 'podman_run', {
            image: BUSYBOX,
            name: `${tag}-store`,
            volumes: [`${source}:/s:ro`],
            command: ['true'],
          }),
        );
        assert.equal(res.code, 'FORBIDDEN', res.message);
        assert.match(res.message, /Podman's storage/);
      }
      assert.ok(!(await containers()).includes(`${tag}-store`));
    } finally {
      await wide.close();
    }
  });

  it('lets compose recreate a service whose bind moved below its old one', async () => {
    const project = join(root, 'proj');
    await mkdir(join(project, 'data', 'app'), { recursive: true });
    const file = join(project, 'compose.yaml');
    const up = async (volume: string) => {
      await writeFile(
        file,
        `services:\n  app:\n    image: ${BUSYBOX}\n    command: [sleep, "600"]\n    volumes: ["${volume}"]\n`,
      );
      return call(server.client, 'podman_compose_up', { file, project_name: `${tag}proj` });
    };
    const first = await up('./data:/data');
    assert.equal(first.isError, undefined, textOf(first));
    // The old container, stopped and set aside while the new one starts, is not a writer of ./data.
    const second = await up('./data/app:/data');
    assert.equal(second.isError, undefined, textOf(second));
    const down = await call(server.client, 'podman_compose_down', { file, project_name: `${tag}proj` });
    assert.equal(down.isError, undefined, textOf(down));
  });

  it('sends kube YAML to Podman as it was checked: a quoted "yes" stays a string', async () => {
    const played = await call(server.client, 'podman_kube_play', {
      yaml: pod(
        `${tag}-q`,
        `  restartPolicy: Never\n${container('    env: [{name: FLAG, value: "yes"}]\n')}`,
      ),
    });
    assert.equal(played.isError, undefined, textOf(played));
    const info = await podman.client.json<{ Config: { Env: string[] } }>(
      'GET',
      `/libpod/containers/${tag}-q-c/json`,
    );
    assert.ok(info.Config.Env.includes('FLAG=yes'), info.Config.Env.join(' '));
    await podman.client.call('DELETE', `/libpod/pods/${tag}-q`, { query: { force: true } });
  });

  it('offers no overlay mounts of host folders, and refuses to start one made elsewhere', async () => {
    const refused = errorOf(
      await call(server.client, 'podman_run', {
        image: BUSYBOX,
        name: `${tag}-ov`,
        volumes: [`${root}:/o:O`],
        command: ['true'],
      }),
    );
    assert.equal(refused.code, 'INVALID_PARAMS');
    // Made through the API directly (as an operator's script might): its start is refused.
    await podman.client.json('POST', '/libpod/containers/create', {
      body: {
        name: `${tag}-ov`,
        image: BUSYBOX,
        command: ['true'],
        mounts: [{ type: 'bind', source: root, destination: '/o', options: ['O'] }],
      },
    });
    const start = errorOf(await call(server.client, 'podman_start', { containers: [`${tag}-ov`] }));
    assert.equal(start.code, 'FORBIDDEN');
    assert.match(start.message, /as overlays \(\/o\)/);
    await podman.client.call('DELETE', `/libpod/containers/${tag}-ov`, { query: { force: true } });
  });
});
