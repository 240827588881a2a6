import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX, ensureBusybox } from './helpers/images.js';
import { call, connectStdio, errorOf, type StdioServer, textOf } from './helpers/mcp.js';
import { listContainers, startPodman, type TestPodman } from './helpers/podman.js';

/**
 * Names and subnets are unusual on purpose: aardvark-dns keeps one config file per network NAME in
 * /run/containers/networks, and bridges and subnets live on the host, so a second Podman store on
 * this machine using the same network name or subnet would collide with these tests.
 */
const NET = 'mcpp-vn-net';
const SUBNET = '10.189.40.0/24';
const PREFIX = 'mcpp-vn-';

/** A shell as PID 1 ignores SIGTERM; trapping it keeps stops fast. */
const serve = (text: string) =>
  `trap "exit 0" TERM; echo ${text} > /var/www/index.html; httpd -f -p 8080 -h /var/www & wait`;
const idle = 'trap "exit 0" TERM; sleep 600 & wait';

async function eventually<T>(probe: () => Promise<T | undefined>, attempts = 50): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the probe never succeeded');
}

describe('volume and network tools over stdio against a real Podman', () => {
  let podman: TestPodman;
  let server: StdioServer;

  const volumeNames = async () =>
    (await podman.client.json<{ Name: string }[]>('GET', '/libpod/volumes/json')).map((v) => v.Name);
  const networkNames = async () =>
    (await podman.client.json<{ name: string }[]>('GET', '/libpod/networks/json')).map((n) => n.name);

  const run = async (name: string, script: string, extra: Record<string, unknown> = {}) => {
    const res = await call(server.client, 'podman_run', {
      image: BUSYBOX,
      name,
      command: ['sh', '-c', script],
      ...extra,
    });
    assert.equal(res.isError, undefined, textOf(res));
    return res;
  };
  const exec = async (container: string, command: string[]) =>
    (await call(server.client, 'podman_exec', { container, command })).structuredContent as {
      exitCode: number;
      stdout: string;
    };
  /** Resolves a name through aardvark-dns (busybox nslookup; its wget cannot resolve in a static build). */
  const resolve = (from: string, name: string) =>
    eventually(async () => {
      const out = await exec(from, ['nslookup', name]);
      const answer = out.stdout.split('Non-authoritative answer:')[1] ?? '';
      return /Address:\s*(\d+\.\d+\.\d+\.\d+)/.exec(answer)?.[1];
    });

  before(async () => {
    podman = await startPodman();
    await ensureBusybox();
    server = await connectStdio(['--socket-path', podman.socketPath, '--log-level', 'warn']);
  });

  after(async () => {
    await server?.close();
    const leftovers = await podman.sweep();
    const volumes = (await volumeNames()).filter((n) => n.startsWith(PREFIX));
    const networks = (await networkNames()).filter((n) => n.startsWith(PREFIX));
    for (const v of volumes)
      await podman.client.call('DELETE', `/libpod/volumes/${v}`, { query: { force: true } }).catch(() => 0);
    for (const n of networks)
      await podman.client.call('DELETE', `/libpod/networks/${n}`, { query: { force: true } }).catch(() => 0);
    await podman.stop();
    assert.equal(leftovers, 0, 'tests must remove every container they create');
    assert.deepEqual([...volumes, ...networks], [], 'tests must remove every volume and network they create');
  });

  it('creates, lists, inspects, shares, protects and prunes volumes', async () => {
    for (const [name, labels] of [
      [`${PREFIX}data`, { 'mcpp-test': 'volumes', role: 'data' }],
      [`${PREFIX}spare`, { 'mcpp-test': 'volumes' }],
      [`${PREFIX}other`, {}],
    ] as const) {
      const res = await call(server.client, 'podman_volume_create', { name, labels });
      assert.equal(res.isError, undefined, textOf(res));
      assert.equal(res.structuredContent!.volume.Labels['io.mcp-podman.managed'], 'true');
    }
    const dup = errorOf(await call(server.client, 'podman_volume_create', { name: `${PREFIX}data` }));
    assert.equal(dup.code, 'CONFLICT');

    const labelled = await call(server.client, 'podman_volume_list', {
      filters: { label: ['mcpp-test=volumes'] },
    });
    assert.deepEqual(labelled.structuredContent!.volumes.map((v: { name: string }) => v.name).sort(), [
      `${PREFIX}data`,
      `${PREFIX}spare`,
    ]);
    // Podman 4.3 ORs filter keys for volumes; ours must all match.
    const both = await call(server.client, 'podman_volume_list', {
      filters: { label: ['mcpp-test=volumes'], name: 'data' },
    });
    assert.deepEqual(
      both.structuredContent!.volumes.map((v: { name: string }) => v.name),
      [`${PREFIX}data`],
    );
    const capped = await call(server.client, 'podman_volume_list', { filters: { name: PREFIX }, limit: 1 });
    assert.equal(capped.structuredContent!.truncated, true);
    assert.match(textOf(capped), /showing 1 of 3/);

    const inspect = await call(server.client, 'podman_volume_inspect', { volume: `${PREFIX}data` });
    assert.equal(inspect.structuredContent!.volume.Driver, 'local');
    assert.equal(inspect.structuredContent!.volume.Labels.role, 'data');
    assert.deepEqual(inspect.structuredContent!.usedBy, []);

    const write = await call(server.client, 'podman_run', {
      image: BUSYBOX,
      name: `${PREFIX}writer`,
      command: ['sh', '-c', 'echo persisted > /data/f'],
      volumes: [`${PREFIX}data:/data`],
      detach: false,
    });
    assert.equal(write.structuredContent!.exitCode, 0, textOf(write));
    const read = await call(server.client, 'podman_run', {
      image: BUSYBOX,
      command: ['cat', '/data/f'],
      volumes: [`${PREFIX}data:/data:ro`],
      detach: false,
      remove: true,
    });
    assert.equal(read.structuredContent!.output, 'persisted\n');

    const used = await call(server.client, 'podman_volume_inspect', { volume: `${PREFIX}data` });
    assert.deepEqual(used.structuredContent!.usedBy, [`${PREFIX}writer`]);
    const inUse = await call(server.client, 'podman_volume_list', {
      filters: { name: PREFIX, dangling: false },
    });
    assert.deepEqual(
      inUse.structuredContent!.volumes.map((v: { name: string; inUse: boolean }) => [v.name, v.inUse]),
      [[`${PREFIX}data`, true]],
    );
    const busy = errorOf(await call(server.client, 'podman_volume_rm', { volume: `${PREFIX}data` }));
    assert.equal(busy.code, 'CONFLICT');
    assert.match(busy.message, /force=true/);
    assert.ok((await volumeNames()).includes(`${PREFIX}data`), 'a refused removal keeps the volume');

    const dry = await call(server.client, 'podman_volume_prune', {
      filters: { label: ['mcpp-test=volumes'] },
      dryRun: true,
    });
    assert.deepEqual(dry.structuredContent!.volumes, [`${PREFIX}spare`]);
    assert.ok((await volumeNames()).includes(`${PREFIX}spare`), 'a dry run removes nothing');

    const pruned = await call(server.client, 'podman_volume_prune', {
      filters: { label: ['mcpp-test=volumes'] },
    });
    assert.equal(pruned.isError, undefined, textOf(pruned));
    assert.deepEqual(
      pruned.structuredContent!.volumes,
      dry.structuredContent!.volumes,
      'removed what the dry run listed',
    );
    const left = await volumeNames();
    assert.ok(!left.includes(`${PREFIX}spare`));
    assert.ok(left.includes(`${PREFIX}data`), 'a volume in use is kept');
    assert.ok(left.includes(`${PREFIX}other`), 'a volume outside the filter is kept');

    const forced = await call(server.client, 'podman_volume_rm', { volume: `${PREFIX}data`, force: true });
    assert.equal(forced.isError, undefined, textOf(forced));
    assert.deepEqual(forced.structuredContent!.removedContainers, [`${PREFIX}writer`]);
    assert.ok(!(await listContainers(podman.client)).some((c) => c.Names[0] === `${PREFIX}writer`));
    const rmOther = await call(server.client, 'podman_volume_rm', { volume: `${PREFIX}other` });
    assert.equal(rmOther.isError, undefined, textOf(rmOther));

    for (const [tool, args, code] of [
      ['podman_volume_inspect', { volume: `${PREFIX}nope` }, 'VOLUME_NOT_FOUND'],
      ['podman_volume_rm', { volume: `${PREFIX}nope` }, 'VOLUME_NOT_FOUND'],
      ['podman_volume_rm', { volume: '' }, 'INVALID_PARAMS'],
      ['podman_volume_rm', { volume: '*' }, 'INVALID_PARAMS'],
      ['podman_volume_create', { name: 'bad name' }, 'INVALID_PARAMS'],
      // A local volume can be a bind of a host folder or a mounted device: with no bind roots, neither.
      [
        'podman_volume_create',
        { name: `${PREFIX}hostbind`, options: { type: 'none', o: 'bind', device: '/etc' } },
        'FORBIDDEN',
      ],
      [
        'podman_volume_create',
        { name: `${PREFIX}hostdev`, options: { type: 'ext4', device: '/dev/sda1' } },
        'FORBIDDEN',
      ],
      // A tmpfs in name only, and a decoy key in another case, while Podman reads the exact ones.
      [
        'podman_volume_create',
        { name: `${PREFIX}fakefs`, options: { type: 'tmpfs', device: '/', o: 'rbind' } },
        'FORBIDDEN',
      ],
      [
        'podman_volume_create',
        { name: `${PREFIX}decoy`, options: { Type: 'tmpfs', device: '/etc', o: 'bind' } },
        'INVALID_PARAMS',
      ],
      ['podman_volume_create', { name: `${PREFIX}proc`, options: { type: 'proc' } }, 'FORBIDDEN'],
      ['podman_volume_prune', { filters: { label: ['=x'] } }, 'INVALID_PARAMS'],
    ] as const) {
      const error = errorOf(await call(server.client, tool, args));
      assert.equal(error.code, code, `${tool} ${JSON.stringify(args)}: ${error.message}`);
    }
  });

  it('creates an internal network whose containers resolve and reach each other, connects, disconnects and removes', async () => {
    const created = await call(server.client, 'podman_network_create', {
      name: NET,
      subnet: SUBNET,
      gateway: '10.189.40.1',
      internal: true,
      labels: { 'mcpp-test': 'networks' },
    });
    assert.equal(created.isError, undefined, textOf(created));
    assert.deepEqual(created.structuredContent!.network.subnets, [SUBNET]);
    assert.equal(created.structuredContent!.network.internal, true);
    assert.equal(created.structuredContent!.network.dns, true);
    assert.equal(created.structuredContent!.network.labels['io.mcp-podman.managed'], 'true');

    const taken = errorOf(
      await call(server.client, 'podman_network_create', { name: `${PREFIX}net2`, subnet: SUBNET }),
    );
    assert.equal(taken.code, 'CONFLICT', taken.message);
    assert.match(taken.message, /another subnet/);
    assert.ok(!(await networkNames()).includes(`${PREFIX}net2`), 'a refused create leaves no network');
    assert.equal(errorOf(await call(server.client, 'podman_network_create', { name: NET })).code, 'CONFLICT');

    const listed = await call(server.client, 'podman_network_list', {
      filters: { label: 'mcpp-test=networks' },
    });
    assert.deepEqual(
      listed.structuredContent!.networks.map((n: { name: string }) => n.name),
      [NET],
    );
    const none = await call(server.client, 'podman_network_list', {
      filters: { label: 'mcpp-test=networks', driver: 'macvlan' },
    });
    assert.equal(none.structuredContent!.count, 0, 'filters combine');

    await run(`${PREFIX}web`, serve('hello-net'), { network: NET });
    await run(`${PREFIX}client`, idle, { network: NET });
    const webIp = await resolve(`${PREFIX}client`, `${PREFIX}web`);
    assert.match(webIp, /^10\.189\.40\.\d+$/);
    const fetched = await eventually(async () => {
      const out = await exec(`${PREFIX}client`, ['wget', '-qO-', `http://${webIp}:8080/`]);
      return out.exitCode === 0 ? out.stdout : undefined;
    });
    assert.equal(fetched, 'hello-net\n');

    await run(`${PREFIX}late`, serve('hello-late'));
    const connected = await call(server.client, 'podman_network_connect', {
      network: NET,
      container: `${PREFIX}late`,
      aliases: ['late-alias'],
    });
    assert.equal(connected.isError, undefined, textOf(connected));
    const lateIp = await resolve(`${PREFIX}client`, 'late-alias');
    assert.match(lateIp, /^10\.189\.40\.\d+$/);
    const late = await exec(`${PREFIX}client`, ['wget', '-qO-', `http://${lateIp}:8080/`]);
    assert.equal(late.stdout, 'hello-late\n');
    const twice = errorOf(
      await call(server.client, 'podman_network_connect', { network: NET, container: `${PREFIX}late` }),
    );
    assert.equal(twice.code, 'CONFLICT');

    const inspect = await call(server.client, 'podman_network_inspect', { network: NET });
    assert.deepEqual([...inspect.structuredContent!.containers].sort(), [
      `${PREFIX}client`,
      `${PREFIX}late`,
      `${PREFIX}web`,
    ]);
    assert.equal(inspect.structuredContent!.network.internal, true);

    const disconnected = await call(server.client, 'podman_network_disconnect', {
      network: NET,
      container: `${PREFIX}late`,
    });
    assert.equal(disconnected.isError, undefined, textOf(disconnected));
    const lateInfo = await call(server.client, 'podman_inspect', { container: `${PREFIX}late` });
    assert.ok(!(NET in lateInfo.structuredContent!.container.NetworkSettings.Networks));
    const notThere = errorOf(
      await call(server.client, 'podman_network_disconnect', { network: NET, container: `${PREFIX}late` }),
    );
    assert.equal(notThere.code, 'CONFLICT');

    const busy = errorOf(await call(server.client, 'podman_network_rm', { network: NET }));
    assert.equal(busy.code, 'CONFLICT');
    assert.match(busy.message, /force=true/);
    assert.ok((await networkNames()).includes(NET), 'a refused removal keeps the network');

    const rmContainers = await call(server.client, 'podman_rm', {
      containers: [`${PREFIX}web`, `${PREFIX}late`],
      force: true,
      timeout: 2,
    });
    assert.equal(rmContainers.isError, undefined, textOf(rmContainers));
    const forced = await call(server.client, 'podman_network_rm', { network: NET, force: true });
    assert.equal(forced.isError, undefined, textOf(forced));
    assert.deepEqual(forced.structuredContent!.removedContainers, [`${PREFIX}client`]);
    assert.ok(!(await networkNames()).includes(NET));
    assert.ok(!(await listContainers(podman.client)).some((c) => c.Names[0]?.startsWith(PREFIX)));
  });

  it('refuses the default network, bad subnets and unknown names with coded errors', async () => {
    const podmanId = (await podman.client.json<{ id: string }>('GET', '/libpod/networks/podman/json')).id;
    const cases: [string, Record<string, unknown>, string][] = [
      ['podman_network_rm', { network: 'podman' }, 'FORBIDDEN'],
      ['podman_network_rm', { network: podmanId, force: true }, 'FORBIDDEN'],
      ['podman_network_rm', { network: '' }, 'INVALID_PARAMS'],
      ['podman_network_rm', { network: '*' }, 'INVALID_PARAMS'],
      ['podman_network_rm', { network: `${PREFIX}nope` }, 'NETWORK_NOT_FOUND'],
      ['podman_network_inspect', { network: `${PREFIX}nope` }, 'NETWORK_NOT_FOUND'],
      ['podman_network_connect', { network: `${PREFIX}nope`, container: 'x' }, 'NETWORK_NOT_FOUND'],
      ['podman_network_connect', { network: 'podman', container: `${PREFIX}nope` }, 'CONTAINER_NOT_FOUND'],
      ['podman_network_disconnect', { network: 'podman', container: `${PREFIX}nope` }, 'CONTAINER_NOT_FOUND'],
      ['podman_network_create', { name: `${PREFIX}bad`, subnet: '10.189.41.0/33' }, 'INVALID_PARAMS'],
      ['podman_network_create', { name: `${PREFIX}bad`, subnet: '300.1.1.0/24' }, 'INVALID_PARAMS'],
      ['podman_network_create', { name: `${PREFIX}bad`, subnet: '10.189.41.0' }, 'INVALID_PARAMS'],
      [
        'podman_network_create',
        { name: `${PREFIX}bad`, subnet: '10.189.41.0/24', gateway: '10.189.42.1' },
        'INVALID_PARAMS',
      ],
      ['podman_network_create', { name: `${PREFIX}bad`, gateway: '10.189.41.1' }, 'INVALID_PARAMS'],
      ['podman_network_create', { name: `${PREFIX}bad`, driver: 'macvlan' }, 'INVALID_PARAMS'],
      ['podman_network_create', { name: 'bad name' }, 'INVALID_PARAMS'],
    ];
    for (const [tool, args, code] of cases) {
      const error = errorOf(await call(server.client, tool, args));
      assert.equal(error.code, code, `${tool} ${JSON.stringify(args)}: ${error.message}`);
      assert.ok(error.message.length > 20, 'the message says what to do');
    }
    assert.match(
      errorOf(await call(server.client, 'podman_network_rm', { network: 'podman' })).message,
      /default network/,
    );
    assert.ok((await networkNames()).includes('podman'));
    assert.ok(!(await networkNames()).includes(`${PREFIX}bad`), 'refused input created nothing');
  });
});
