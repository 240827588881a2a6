import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serviceSecretName } from '../src/api/services/labels.js';
import { deleteSecrets, putSecret, secretName } from '../src/gateway/mount-secrets.js';
import { BUSYBOX, ensureBusybox } from './helpers/images.js';
import { call, connectStdio, errorOf, type StdioServer, textOf } from './helpers/mcp.js';
import { startPodman, type TestPodman } from './helpers/podman.js';

const VALUE = `value-${randomBytes(8).toString('hex')}`;
const FILE_VALUE = `file-${randomBytes(8).toString('hex')}`;

describe('secret tools against a real Podman: values never leave the server', () => {
  let podman: TestPodman;
  let server: StdioServer;
  let dir: string;
  /** Every result this suite receives, to check that no secret value is in any of them. */
  const seen: string[] = [];

  const tool = async (name: string, args: Record<string, unknown> = {}) => {
    const result = await call(server.client, name, args);
    seen.push(JSON.stringify(result));
    return result;
  };

  before(async () => {
    podman = await startPodman();
    await ensureBusybox();
    dir = await mkdtemp(join(tmpdir(), 'mcpp-secrets-'));
    // Secret files are read from the host: the tests' temp folders are shared, nothing else.
    server = await connectStdio(['--socket-path', podman.socketPath, '--log-level', 'warn'], {
      MCP_PODMAN_BIND_ROOTS: tmpdir(),
    });
  });

  after(async () => {
    await server?.close();
    const leftovers = await podman.sweep();
    const secrets = await podman.client.json<{ Spec: { Name: string } }[]>('GET', '/libpod/secrets/json');
    const ours = secrets.map((s) => s.Spec.Name).filter((n) => n.startsWith('mcpp-'));
    for (const name of ours)
      await podman.client.call('DELETE', `/libpod/secrets/${name}`).catch(() => undefined);
    await podman.stop();
    await rm(dir, { recursive: true, force: true });
    assert.equal(leftovers, 0, 'tests must remove every container they create');
    assert.deepEqual(ours, [], 'tests must remove every secret they create');
  });

  it('creates secrets from a value and from a file, lists and inspects them without their values', async () => {
    const created = await tool('podman_secret_create', {
      name: 'mcpp-s-value',
      value: VALUE,
      labels: { team: 'a' },
    });
    assert.equal(created.isError, undefined, textOf(created));
    assert.match(created.structuredContent!.id, /^[0-9a-f]+$/);
    assert.equal(created.structuredContent!.sizeBytes, VALUE.length);

    const file = join(dir, 'secret.txt');
    await writeFile(file, `${FILE_VALUE}\n`, { mode: 0o600 });
    const fromFile = await tool('podman_secret_create', { name: 'mcpp-s-file', filePath: file });
    assert.equal(fromFile.isError, undefined, textOf(fromFile));
    assert.equal(fromFile.structuredContent!.sizeBytes, FILE_VALUE.length + 1);

    const list = await tool('podman_secret_list', { filters: { name: 'mcpp-s-' } });
    assert.deepEqual(
      list.structuredContent!.secrets.map((s: { name: string }) => s.name),
      ['mcpp-s-file', 'mcpp-s-value'],
    );
    assert.match(textOf(list), /mcpp-s-value/);

    const inspect = await tool('podman_secret_inspect', { secret: 'mcpp-s-value' });
    const secret = inspect.structuredContent!.secret;
    assert.equal(secret.name, 'mcpp-s-value');
    assert.equal(secret.driver, 'file');
    assert.deepEqual(secret.labels, { team: 'a', 'io.mcp-podman.managed': 'true' });
    assert.deepEqual(Object.keys(secret).sort(), [
      'createdAt',
      'driver',
      'id',
      'labels',
      'name',
      'updatedAt',
    ]);
  });

  it('refuses a duplicate name, bad sources and unknown secrets with coded errors', async () => {
    const duplicate = await tool('podman_secret_create', { name: 'mcpp-s-value', value: 'another-value' });
    assert.equal(errorOf(duplicate).code, 'CONFLICT');
    assert.match(errorOf(duplicate).message, /podman_secret_rm/);
    const hostFile = errorOf(
      await tool('podman_secret_create', { name: 'mcpp-s-bad', filePath: '/etc/hostname' }),
    );
    assert.equal(hostFile.code, 'FORBIDDEN');
    assert.match(
      hostFile.message,
      /This secret reads \/etc\/hostname, which is not a file this server may read/,
    );
    // A link under the roots to a host file gets the same answer, and its content goes nowhere.
    await symlink('/etc/hostname', join(dir, 'hostname-link'));
    const viaLink = errorOf(
      await tool('podman_secret_create', { name: 'mcpp-s-bad', filePath: join(dir, 'hostname-link') }),
    );
    assert.equal(viaLink.code, 'FORBIDDEN');
    assert.match(viaLink.message, /not a file this server may read/);
    const missing = errorOf(
      await tool('podman_secret_create', { name: 'mcpp-s-bad', filePath: join(dir, 'no-such-file') }),
    );
    assert.equal(missing.code, 'NOT_FOUND');
    for (const args of [
      { name: 'mcpp-s-bad' },
      { name: 'mcpp-s-bad', value: 'x-value', filePath: join(dir, 'secret.txt') },
      { name: 'mcpp-s-bad', filePath: dir },
      { name: 'mcpp-s-bad', filePath: 'relative/path' },
      { name: 'mcpp-s-bad', value: '' },
      { name: '', value: 'x-value' },
      { name: '*', value: 'x-value' },
    ]) {
      assert.equal(
        errorOf(await tool('podman_secret_create', args)).code,
        'INVALID_PARAMS',
        JSON.stringify(args),
      );
    }
    assert.equal(
      errorOf(await tool('podman_secret_inspect', { secret: 'mcpp-s-none' })).code,
      'SECRET_NOT_FOUND',
    );
    assert.equal(errorOf(await tool('podman_secret_rm', { secret: 'mcpp-s-none' })).code, 'SECRET_NOT_FOUND');
    assert.equal(errorOf(await tool('podman_secret_rm', { secret: '' })).code, 'INVALID_PARAMS');
  });

  it('gives secrets to a container as files and env, and scrubs them from inspect, logs and exec output', async () => {
    const run = await tool('podman_run', {
      image: BUSYBOX,
      name: 'mcpp-secret-user',
      command: ['sh', '-c', 'echo "printing $APPVAL"; cat /run/secrets/fromfile; sleep 300'],
      secrets: [
        { source: 'mcpp-s-value', type: 'mount' },
        { source: 'mcpp-s-value', type: 'env', target: 'APPVAL' },
        { source: 'mcpp-s-file', type: 'mount', target: 'fromfile' },
      ],
    });
    assert.equal(run.isError, undefined, textOf(run));
    try {
      const check = async (script: string) =>
        (await tool('podman_exec', { container: 'mcpp-secret-user', command: ['sh', '-c', script] }))
          .structuredContent!.exitCode;
      assert.equal(await check(`test "$(cat /run/secrets/mcpp-s-value)" = "${VALUE}"`), 0);
      assert.equal(await check(`test "$APPVAL" = "${VALUE}"`), 0);
      assert.equal(await check(`test "$(cat /run/secrets/fromfile)" = "${FILE_VALUE}"`), 0);
      assert.equal(await check(`test "$APPVAL" = "not-the-value"`), 1);

      const printed = await tool('podman_exec', {
        container: 'mcpp-secret-user',
        command: ['cat', '/run/secrets/mcpp-s-value'],
      });
      assert.equal(printed.structuredContent!.stdout, '********');

      const inspect = await tool('podman_inspect', { container: 'mcpp-secret-user' });
      assert.equal(inspect.isError, undefined, textOf(inspect));
      assert.ok(inspect.structuredContent!.container.Config.Env.includes('APPVAL=********'));

      let logs = '';
      for (let i = 0; i < 50 && !logs.includes('printing'); i++) {
        const res = await tool('podman_logs', { container: 'mcpp-secret-user' });
        logs = res.structuredContent!.logs;
        if (!logs.includes('printing')) await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(logs, /^printing \*{8}\n\*{8}/);
    } finally {
      await tool('podman_rm', { containers: ['mcpp-secret-user'], force: true, timeout: 0 });
    }
  });

  it('masks a multi-line, quoted secret in structuredContent as well as in text', async () => {
    // JSON escapes the newline and the quotes: a scrub of JSON text would miss this value.
    const tricky = `line-${randomBytes(4).toString('hex')}\nsaid "hi" {\\}`;
    const created = await tool('podman_secret_create', { name: 'mcpp-s-tricky', value: tricky });
    assert.equal(created.isError, undefined, textOf(created));
    try {
      const run = await tool('podman_run', {
        image: BUSYBOX,
        command: ['cat', '/run/secrets/mcpp-s-tricky'],
        secrets: [{ source: 'mcpp-s-tricky', type: 'mount' }],
        detach: false,
        remove: true,
      });
      assert.equal(run.isError, undefined, textOf(run));
      assert.equal(run.structuredContent!.output, '********');
      assert.ok(!textOf(run).includes(tricky), textOf(run));
      const wire = JSON.stringify(run);
      assert.ok(!wire.includes(tricky.split('\n')[0]!), `the secret's first line leaked: ${wire}`);
    } finally {
      await tool('podman_secret_rm', { secret: 'mcpp-s-tricky' });
    }
  });

  it('keeps answering after remembering values made of JSON syntax', async () => {
    // The call: the compose file need not exist (or be readable) for the variable to be remembered.
    await tool('podman_compose_ps', { file: '/nonexistent.yml', variables: { X_TOKEN: 'e":"' } });
    const created = await tool('podman_secret_create', { name: 'mcpp-s-json', value: '","x":{' });
    assert.equal(created.isError, undefined, textOf(created));
    try {
      for (const name of ['podman_ps', 'podman_info', 'podman_secret_list']) {
        const res = await tool(name, {});
        assert.equal(res.isError, undefined, `${name}: ${textOf(res)}`);
        assert.equal(typeof res.structuredContent, 'object', name);
      }
    } finally {
      await tool('podman_secret_rm', { secret: 'mcpp-s-json' });
    }
  });

  it('masks the password of a URL in any env value when inspecting a container', async () => {
    const run = await tool('podman_run', {
      image: BUSYBOX,
      name: 'mcpp-secret-url',
      command: ['sleep', '300'],
      env: ['DATABASE_URL=postgres://u:pass-for-url@h/db', 'PLAIN=keep'],
    });
    assert.equal(run.isError, undefined, textOf(run));
    try {
      const inspect = await tool('podman_inspect', { container: 'mcpp-secret-url' });
      assert.equal(inspect.isError, undefined, textOf(inspect));
      const env: string[] = inspect.structuredContent!.container.Config.Env;
      assert.ok(env.includes('DATABASE_URL=postgres://u:********@h/db'), env.join(' '));
      assert.ok(env.includes('PLAIN=keep'));
      assert.ok(inspect.structuredContent!.redacted.includes('Config.Env.DATABASE_URL'));
      assert.ok(!JSON.stringify(inspect).includes('pass-for-url'), 'the URL password leaked');
    } finally {
      await tool('podman_rm', { containers: ['mcpp-secret-url'], force: true, timeout: 0 });
    }
  });

  it("refuses a gateway mount's and a service's secrets to every client path, by name, id or label", async () => {
    const token = `mount-token-${randomBytes(8).toString('hex')}`;
    // Made exactly as a gateway mount and a service store their secret env.
    const mountSecret = secretName('gw-attack', 'tok', 'API_TOKEN');
    const serviceSecret = serviceSecretName('attack', 'API_TOKEN');
    // The label alone marks it too, whatever its name.
    const labelled = 'mcpp-s-labelled';
    const ours = [mountSecret, serviceSecret, labelled];
    for (const name of ours) await putSecret(podman.client, name, token);
    const idOf = async (name: string) =>
      (await podman.client.json<{ ID: string }>('GET', `/libpod/secrets/${name}/json`)).ID;
    const containersBefore = (
      await podman.client.json<unknown[]>('GET', '/libpod/containers/json', { query: { all: true } })
    ).length;
    const results: string[] = [];
    try {
      const mountId = await idOf(mountSecret);
      for (const ref of [...ours, mountId, mountId.slice(0, 12)]) {
        for (const type of ['mount', 'env'] as const) {
          const run = await call(server.client, 'podman_run', {
            image: BUSYBOX,
            command: ['sh', '-c', 'cat /run/secrets/* 2>/dev/null; echo "$STOLEN"'],
            secrets: [{ source: ref, type, target: type === 'env' ? 'STOLEN' : undefined }],
            detach: false,
            remove: true,
          });
          results.push(JSON.stringify(run));
          const error = errorOf(run);
          assert.equal(error.code, 'FORBIDDEN', `${ref} ${type}: ${textOf(run)}`);
          assert.match(error.message, /podman_secret_create/);
        }
      }
      const kube = await call(server.client, 'podman_kube_play', {
        yaml: [
          'apiVersion: v1',
          'kind: Pod',
          'metadata: {name: mcpp-steal}',
          'spec:',
          '  containers:',
          `  - {name: c, image: ${BUSYBOX}, command: [sh, -c, 'echo $STOLEN'],`,
          `     env: [{name: STOLEN, valueFrom: {secretKeyRef: {name: ${mountSecret}, key: API_TOKEN}}}]}`,
          '',
        ].join('\n'),
      });
      results.push(JSON.stringify(kube));
      assert.equal(errorOf(kube).code, 'FORBIDDEN', textOf(kube));
      const rm = await call(server.client, 'podman_secret_rm', { secret: mountSecret });
      assert.equal(errorOf(rm).code, 'FORBIDDEN');
      const squat = await call(server.client, 'podman_secret_create', {
        name: 'mcp-podman-x',
        value: 'v-value',
      });
      assert.equal(errorOf(squat).code, 'FORBIDDEN');
      const after = (
        await podman.client.json<unknown[]>('GET', '/libpod/containers/json', { query: { all: true } })
      ).length;
      assert.equal(after, containersBefore, 'a refused call creates no container');
      assert.equal(await idOf(mountSecret), mountId, 'the mount secret is still there');
    } finally {
      await deleteSecrets(podman.client, ours);
    }
    for (const text of results) assert.ok(!text.includes(token), `the mount's token leaked: ${text}`);
  });

  it('removes secrets', async () => {
    for (const name of ['mcpp-s-value', 'mcpp-s-file']) {
      const removed = await tool('podman_secret_rm', { secret: name });
      assert.equal(removed.isError, undefined, textOf(removed));
      assert.equal(errorOf(await tool('podman_secret_inspect', { secret: name })).code, 'SECRET_NOT_FOUND');
    }
    const list = await tool('podman_secret_list', { filters: { name: 'mcpp-s-' } });
    assert.equal(list.structuredContent!.count, 0);
  });

  it('never returned a secret value in any result or server log', () => {
    assert.ok(seen.length > 20);
    for (const text of [...seen, server.stderr()]) {
      assert.ok(!text.includes(VALUE), `value leaked: ${text.slice(0, 300)}`);
      assert.ok(!text.includes(FILE_VALUE), `file value leaked: ${text.slice(0, 300)}`);
    }
  });
});
