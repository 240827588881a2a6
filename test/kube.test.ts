import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUSYBOX, ensureBusybox } from './helpers/images.js';
import { call, connectStdio, errorOf, type StdioServer, textOf } from './helpers/mcp.js';
import { listContainers, startPodman, type TestPodman } from './helpers/podman.js';

/** Podman creates this network on the first kube play; the suite removes it if it made it. */
const KUBE_NETWORK = 'podman-default-kube-network';

describe('kube, events and disk usage tools over stdio against a real Podman', () => {
  let podman: TestPodman;
  let server: StdioServer;
  /** Shares `dir`: kube files are read only under the bind roots. */
  let rooted: StdioServer;
  let dir: string;
  let kubeNetworkExisted = false;

  async function inventory() {
    const pods = await podman.client.json<{ Name: string }[]>('GET', '/libpod/pods/json');
    const volumes = await podman.client.json<{ Name: string }[]>('GET', '/libpod/volumes/json');
    const secrets = await podman.client.json<{ Spec: { Name: string } }[]>('GET', '/libpod/secrets/json');
    return {
      pods: (pods ?? []).map((p) => p.Name).sort(),
      containers: (await listContainers(podman.client)).map((c) => c.Names[0]).sort(),
      volumes: (volumes ?? []).map((v) => v.Name).sort(),
      secrets: (secrets ?? []).map((s) => s.Spec.Name).sort(),
    };
  }

  before(async () => {
    podman = await startPodman();
    await ensureBusybox();
    server = await connectStdio(['--socket-path', podman.socketPath, '--log-level', 'warn']);
    dir = await mkdtemp(join(tmpdir(), 'mcp-podman-kube-'));
    rooted = await connectStdio([
      '--socket-path',
      podman.socketPath,
      '--log-level',
      'warn',
      '--bind-roots',
      dir,
    ]);
    const networks = await podman.client.json<{ name: string }[]>('GET', '/libpod/networks/json');
    kubeNetworkExisted = networks.some((n) => n.name === KUBE_NETWORK);
  });

  after(async () => {
    await server?.close();
    await rooted?.close();
    const leftovers = await podman.sweep();
    if (!kubeNetworkExisted)
      await podman.client.call('DELETE', `/libpod/networks/${KUBE_NETWORK}`).catch(() => undefined);
    await podman.stop();
    await rm(dir, { recursive: true, force: true });
    assert.equal(leftovers, 0, 'tests must remove every container and pod they create');
  });

  it('generates YAML from a running pod, plays it back after removing the original, and tears it down', async () => {
    await podman.client.json('POST', '/libpod/pods/create', { body: { name: 'kubegen' } });
    await podman.client.json('POST', '/libpod/containers/create', {
      body: {
        name: 'kubegen-app',
        image: BUSYBOX,
        pod: 'kubegen',
        command: ['sleep', '100000'],
        env: { API_TOKEN: 'kube-secret-value-9', PLAIN_SETTING: 'plain-value' },
      },
    });
    await podman.client.call('POST', '/libpod/pods/kubegen/start');

    const generated = await call(server.client, 'podman_kube_generate', { names: ['kubegen'] });
    assert.equal(generated.isError, undefined, textOf(generated));
    const yaml = generated.structuredContent!.yaml as string;
    assert.deepEqual(generated.structuredContent!.kinds, ['Pod']);
    assert.match(yaml, /^\s+name: kubegen$/m);
    assert.match(yaml, /image: localhost\/mcp-podman-test\/busybox:latest/);
    // Podman writes env in clear; a secret-looking one is masked, the rest kept.
    assert.ok(!textOf(generated).includes('kube-secret-value-9'), 'the secret env value is masked');
    assert.match(yaml, /name: API_TOKEN\s+value: "\*{8}"/);
    assert.match(yaml, /value: plain-value/);
    assert.deepEqual(generated.structuredContent!.redacted, ['env.API_TOKEN']);

    const missing = errorOf(
      await call(server.client, 'podman_kube_generate', { names: ['kubegen', 'no-such-pod'] }),
    );
    assert.equal(missing.code, 'NOT_FOUND');
    assert.match(missing.message, /No pod or container "no-such-pod"/);
    const inPod = errorOf(await call(server.client, 'podman_kube_generate', { names: ['kubegen-app'] }));
    assert.equal(inPod.code, 'INVALID_PARAMS');
    assert.match(inPod.message, /generate YAML for the pod instead/);

    await podman.client.call('DELETE', '/libpod/pods/kubegen', { query: { force: true, timeout: 0 } });
    assert.deepEqual((await inventory()).pods, []);

    const played = await call(server.client, 'podman_kube_play', { yaml });
    assert.equal(played.isError, undefined, textOf(played));
    const pods = played.structuredContent!.pods as {
      name: string;
      state: string;
      containers: { name: string; state: string }[];
    }[];
    assert.equal(pods.length, 1);
    assert.equal(pods[0]!.name, 'kubegen');
    assert.equal(pods[0]!.state, 'Running');
    assert.deepEqual(
      pods[0]!.containers.map((c) => [c.name, c.state]),
      [['kubegen-kubegen-app', 'running']],
    );
    const app = (await listContainers(podman.client)).find((c) => c.Names[0] === 'kubegen-kubegen-app')!;
    assert.equal(app.State, 'running');
    assert.equal(app.Labels?.['io.mcp-podman.managed'], 'true');

    const down = await call(server.client, 'podman_kube_down', { yaml });
    assert.equal(down.isError, undefined, textOf(down));
    assert.deepEqual(down.structuredContent!.pods, ['kubegen']);
    assert.deepEqual(await inventory(), { pods: [], containers: [], volumes: [], secrets: [] });
    const again = await call(server.client, 'podman_kube_down', { yaml });
    assert.match(textOf(again), /nothing to remove/);
  });

  it('plays a file with a volume claim and a secret, and down removes them', async () => {
    const file = join(dir, 'app.yaml');
    await writeFile(
      file,
      [
        'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: kubedata\nspec:\n  accessModes: [ReadWriteOnce]\n' +
          '  resources:\n    requests:\n      storage: 1Gi',
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: kubesecret\ndata:\n  token: c3VwZXItc2VjcmV0LXZhbHVl',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kubedep\nspec:\n  replicas: 1\n  selector:\n' +
          '    matchLabels:\n      app: kubedep\n  template:\n    metadata:\n      labels:\n        app: kubedep\n' +
          `    spec:\n      containers:\n      - name: main\n        image: ${BUSYBOX}\n        command: [sleep, "100000"]\n` +
          '        volumeMounts:\n        - name: data\n          mountPath: /data\n      volumes:\n      - name: data\n' +
          '        persistentVolumeClaim:\n          claimName: kubedata',
      ].join('\n---\n'),
    );
    const played = await call(rooted.client, 'podman_kube_play', { file });
    assert.equal(played.isError, undefined, textOf(played));
    assert.deepEqual(played.structuredContent!.volumes, ['kubedata']);
    assert.deepEqual(played.structuredContent!.secrets, ['kubesecret']);
    assert.equal((played.structuredContent!.pods as unknown[]).length, 1);
    assert.ok(!JSON.stringify(played).includes('super-secret-value'));
    const volume = await podman.client.json<{ Labels: Record<string, string> }>(
      'GET',
      '/libpod/volumes/kubedata/json',
    );
    assert.equal(volume.Labels['io.mcp-podman.managed'], 'true');

    const down = await call(rooted.client, 'podman_kube_down', { file });
    assert.equal(down.isError, undefined, textOf(down));
    assert.equal((down.structuredContent!.pods as string[]).length, 1);
    assert.deepEqual(down.structuredContent!.volumes, ['kubedata']);
    assert.deepEqual(down.structuredContent!.secrets, ['kubesecret']);
    assert.deepEqual(await inventory(), { pods: [], containers: [], volumes: [], secrets: [] });
  });

  it('reads a kube file only under the bind roots, with one answer whatever lies outside', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'mcp-podman-kube-outside-'));
    const hostYaml = join(outside, 'host-secret.yaml');
    await writeFile(
      hostYaml,
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: hostleakname\ndata:\n  token: aG9zdC1zZWNyZXQtdmFsdWU=\n',
    );
    await symlink(hostYaml, join(dir, 'linked.yaml'));
    await symlink(join(outside, 'absent.yaml'), join(dir, 'dangling.yaml'));
    const before = await inventory();
    try {
      const answers = new Set<string>();
      for (const file of [
        hostYaml,
        join(outside, 'absent.yaml'),
        join(dir, 'linked.yaml'),
        join(dir, 'dangling.yaml'),
      ]) {
        for (const tool of ['podman_kube_play', 'podman_kube_down']) {
          const res = await call(rooted.client, tool, { file });
          const error = errorOf(res);
          assert.equal(error.code, 'FORBIDDEN', `${tool} ${file}: ${error.message}`);
          assert.ok(!/hostleakname|Secret|aG9zdC/.test(JSON.stringify(res)), JSON.stringify(res));
          answers.add(error.message.replace(file, '<file>'));
        }
      }
      assert.equal(answers.size, 1, [...answers].join('\n'));
      // Without bind roots no host file is read at all; the YAML itself still plays.
      const unrooted = errorOf(await call(server.client, 'podman_kube_play', { file: hostYaml }));
      assert.equal(unrooted.code, 'FORBIDDEN');
      assert.match(unrooted.message, /shares no host folders.*give the YAML itself/i);
      assert.deepEqual(await inventory(), before);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('refuses YAML that is not Kubernetes before Podman sees it, creating nothing', async () => {
    const before = await inventory();
    const cases: [Record<string, string>, RegExp][] = [
      [{ yaml: 'services:\n  web:\n    image: nginx\n' }, /document 1 has no apiVersion and kind/],
      [
        { yaml: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n' },
        /document 1 is a Namespace, which Podman does not play/,
      ],
      [{ yaml: '- just\n- a list\n' }, /document 1 is not a Kubernetes object/],
      [{ yaml: 'apiVersion: v1\nkind: Pod\nmetadata: {}\n' }, /has no metadata.name/],
      [{ yaml: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n' }, /no Pod, Deployment/],
      [{ yaml: 'a: [unclosed\n' }, /document 1: /],
      [
        { yaml: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n', file: '/etc/hostname' },
        /exactly one of yaml/,
      ],
    ];
    for (const [args, message] of cases) {
      const error = errorOf(await call(server.client, 'podman_kube_play', args));
      assert.equal(error.code, 'INVALID_PARAMS', JSON.stringify(args));
      assert.match(error.message, message);
    }
    // A hostPath volume is a bind mount: with no bind roots allowed, the host's / stays out.
    const hostPath = errorOf(
      await call(server.client, 'podman_kube_play', {
        yaml:
          'apiVersion: v1\nkind: Pod\nmetadata:\n  name: kubesnoop\nspec:\n  containers:\n  - name: c\n' +
          `    image: ${BUSYBOX}\n    volumeMounts:\n    - name: root\n      mountPath: /host\n` +
          '  volumes:\n  - name: root\n    hostPath:\n      path: /\n',
      }),
    );
    assert.equal(hostPath.code, 'FORBIDDEN');
    assert.match(hostPath.message, /hostPath volume\) bind-mounts host path \//);
    // Podman matches keys regardless of case and honours merge keys: neither hides a hostPath.
    for (const volume of [
      '- name: root\n    hostpath:\n      path: /\n',
      '- name: root\n    <<: {hostPath: {path: /}}\n',
      // Go's case folding takes the long s (U+017F) for "s".
      '- name: root\n    ho\u017ftPath:\n      path: /\n',
    ]) {
      const hidden = errorOf(
        await call(server.client, 'podman_kube_play', {
          yaml:
            'apiVersion: v1\nkind: Pod\nmetadata:\n  name: kubesnoop\nspec:\n  containers:\n  - name: c\n' +
            `    image: ${BUSYBOX}\n  volumes:\n  ${volume}`,
        }),
      );
      assert.equal(hidden.code, 'FORBIDDEN', volume);
    }
    const privileged = errorOf(
      await call(server.client, 'podman_kube_play', {
        yaml:
          'apiVersion: v1\nkind: Pod\nmetadata:\n  name: kubepriv\nspec:\n  hostNetwork: true\n  containers:\n' +
          `  - name: c\n    image: ${BUSYBOX}\n    securityContext:\n      privileged: true\n`,
      }),
    );
    assert.equal(privileged.code, 'FORBIDDEN');
    // A claim whose annotations mount a host filesystem (no device: the type is the source).
    const claim = errorOf(
      await call(server.client, 'podman_kube_play', {
        yaml:
          'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: kubedev\n  annotations:\n' +
          '    volume.podman.io/type: devtmpfs\nspec:\n  accessModes: [ReadWriteOnce]\n' +
          '  resources:\n    requests:\n      storage: 1Mi\n',
      }),
    );
    assert.equal(claim.code, 'FORBIDDEN', claim.message);
    assert.match(claim.message, /host device or filesystem/);
    assert.match(privileged.message, /spec\.hostNetwork.*privileged/);
    assert.deepEqual(await inventory(), before);
  });

  it('removes what a failed play created, and leaves what existed before', async () => {
    await podman.client.json('POST', '/libpod/volumes/create', { body: { Name: 'kubekeep' } });
    const before = await inventory();
    const yaml = [
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: kubefailsecret\nstringData:\n  token: rolled-back-secret',
      'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: kubefailvol\nspec:\n  accessModes: [ReadWriteOnce]',
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: kubeok\nspec:\n  containers:\n  - name: c\n    image: ${BUSYBOX}\n    command: [sleep, "100000"]`,
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: kubebad\nspec:\n  containers:\n  - name: c\n    image: localhost/mcp-podman-test/absent:1',
    ].join('\n---\n');
    const failed = errorOf(await call(server.client, 'podman_kube_play', { yaml }));
    assert.equal(failed.code, 'PODMAN_ERROR');
    assert.match(failed.message, /What this call created was removed again/);
    assert.ok(!JSON.stringify(failed).includes('rolled-back-secret'));
    assert.deepEqual(await inventory(), before);
    assert.ok(before.volumes.includes('kubekeep'));
    await podman.client.call('DELETE', '/libpod/volumes/kubekeep');
  });

  it('reports events of a container, honouring until, filters and the limit', async () => {
    const first = await call(server.client, 'podman_run', {
      image: BUSYBOX,
      name: 'evt-first',
      command: ['true'],
    });
    assert.equal(first.isError, undefined, textOf(first));
    // Event times have second resolution in the filter; step past the second the first one used.
    await sleep(1100);
    const cut = new Date().toISOString();
    await sleep(1100);
    const second = await call(server.client, 'podman_run', {
      image: BUSYBOX,
      name: 'evt-second',
      command: ['true'],
    });
    assert.equal(second.isError, undefined, textOf(second));
    // The store's event log outlives a run, so events are matched by the ids of this run's containers.
    const firstId = first.structuredContent!.id as string;
    const secondId = second.structuredContent!.id as string;
    const seen = (res: Awaited<ReturnType<typeof call>>) =>
      (res.structuredContent!.events as { id: string; action: string }[]).map((e) => `${e.id}:${e.action}`);
    try {
      const all = await call(server.client, 'podman_events', { since: '5m', type: 'container' });
      assert.ok(seen(all).includes(`${firstId}:create`), textOf(all));
      assert.ok(seen(all).includes(`${secondId}:start`), textOf(all));
      assert.ok((all.structuredContent!.events as { type: string }[]).every((e) => e.type === 'container'));

      const earlier = await call(server.client, 'podman_events', {
        since: '5m',
        until: cut,
        type: 'container',
      });
      assert.ok(seen(earlier).includes(`${firstId}:create`), textOf(earlier));
      assert.ok(!seen(earlier).some((e) => e.startsWith(secondId)));

      const one = await call(server.client, 'podman_events', { container: secondId, event: 'create' });
      assert.deepEqual(seen(one), [`${secondId}:create`]);
      assert.equal(one.structuredContent!.events[0].name, 'evt-second');
      const limited = await call(server.client, 'podman_events', { since: '5m', limit: 2 });
      assert.equal(limited.structuredContent!.count, 2);
      assert.equal(limited.structuredContent!.truncated, true);
      assert.match(textOf(limited), /showing 2 of \d+/);

      const bad = errorOf(await call(server.client, 'podman_events', { since: 'yesterday' }));
      assert.equal(bad.code, 'INVALID_PARAMS');
    } finally {
      await call(server.client, 'podman_rm', {
        containers: ['evt-first', 'evt-second'],
        force: true,
        timeout: 0,
      });
    }
  });

  it('reports disk usage of images, containers and volumes with sizes', async () => {
    await podman.client.json('POST', '/libpod/volumes/create', { body: { Name: 'df-vol' } });
    const run = await call(server.client, 'podman_run', {
      image: BUSYBOX,
      name: 'df-writer',
      command: ['sh', '-c', 'head -c 100000 /dev/zero > /data/blob'],
      volumes: ['df-vol:/data'],
      detach: false,
    });
    try {
      assert.equal(run.structuredContent!.exitCode, 0, textOf(run));
      const df = await call(server.client, 'podman_system_df', {});
      assert.equal(df.isError, undefined, textOf(df));
      const data = df.structuredContent!;
      const busybox = (data.images as { image: string; size: number }[]).find((i) => i.image === BUSYBOX);
      assert.ok(busybox && busybox.size > 1_000_000, JSON.stringify(data.images));
      assert.ok(data.summary.images.size >= busybox.size);
      assert.ok((data.containers as { name: string }[]).some((c) => c.name === 'df-writer'));
      const volume = (data.volumes as { name: string; size: number }[]).find((v) => v.name === 'df-vol');
      assert.ok(volume && volume.size >= 100_000, JSON.stringify(data.volumes));
      assert.match(textOf(df), /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE/);
    } finally {
      await call(server.client, 'podman_rm', { containers: ['df-writer'], force: true, timeout: 0 });
      await podman.client.call('DELETE', '/libpod/volumes/df-vol');
    }
  });
});
