import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadProject } from '../../src/tools/compose/load.js';
import { ports } from '../../src/tools/compose/ports.js';
import { runtimeOptions } from '../../src/tools/compose/runtime.js';
import { Problems } from '../../src/tools/compose/values.js';

function parsePorts(list: unknown[]) {
  const problems = new Problems();
  return { mappings: ports(list, 'ports', problems), problems: problems.list };
}

describe('compose ports', () => {
  it('maps equal ranges one-to-one and a container range to random host ports', () => {
    assert.deepEqual(parsePorts(['127.0.0.1:8080-8081:80-81/udp', '9000-9002']), {
      mappings: [
        { host_ip: '127.0.0.1', host_port: 8080, container_port: 80, protocol: 'udp', range: 2 },
        { container_port: 9000, protocol: 'tcp', range: 3 },
      ],
      problems: [],
    });
  });

  it('refuses ranges Podman cannot express, naming each entry', () => {
    const { mappings, problems } = parsePorts(['8080-8081:80', '8080:80-81', '8080-8082:80-81', '90-89']);
    assert.deepEqual(mappings, []);
    assert.equal(problems.length, 4);
    assert.match(problems[0]!, /^ports\[0\]: a host port range for one container port/);
    assert.match(problems[2]!, /^ports\[2\]: .*equally long/);
  });

  it('reads the long syntax: published as a string or number, or absent', () => {
    const { mappings, problems } = parsePorts([
      { target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'tcp', mode: 'host' },
      { target: '53', published: 5353, protocol: 'udp', mode: 'ingress' },
      { target: 443 },
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(mappings, [
      { host_ip: '127.0.0.1', host_port: 8080, container_port: 80, protocol: 'tcp' },
      { host_port: 5353, container_port: 53, protocol: 'udp' },
      { container_port: 443, protocol: 'tcp' },
    ]);
  });
});

describe('compose runtime keys', () => {
  it('maps sizes, signals, limits and hosts, and refuses loosening security options', () => {
    const problems = new Problems();
    const r = runtimeOptions(
      {
        extra_hosts: { 'db.local': '10.0.0.2', v6: '::1' },
        stop_signal: 'TERM',
        stop_grace_period: '1m30s',
        mem_limit: '1.5g',
        deploy: { resources: { limits: { memory: 1610612736, pids: 10 } } },
        security_opt: ['no-new-privileges', 'seccomp=unconfined'],
        ulimits: { nofile: { soft: 10, hard: 5 } },
      },
      'services.x',
      problems,
    );
    assert.deepEqual(r.extraHosts, ['db.local:10.0.0.2', 'v6:::1']);
    assert.equal(r.stopSignal, 15);
    assert.equal(r.stopGraceSeconds, 90);
    assert.equal(r.memoryBytes, 1610612736);
    assert.equal(r.pidsLimit, 10);
    assert.equal(r.noNewPrivileges, true);
    assert.deepEqual(problems.list, [
      'services.x.security_opt: "seccomp=unconfined" refused: only no-new-privileges is supported, as podman_run cannot loosen confinement either',
      'services.x.ulimits.nofile: must be a whole number, or {soft, hard} with soft <= hard',
    ]);
  });

  it('refuses a mem_limit that disagrees with deploy.resources.limits.memory', () => {
    const problems = new Problems();
    runtimeOptions(
      { mem_limit: '64m', deploy: { resources: { limits: { memory: '128m' } } } },
      's',
      problems,
    );
    assert.deepEqual(problems.list, [
      's.mem_limit: disagrees with s.deploy.resources.limits.memory; give one of them',
    ]);
  });
});

describe('compose profiles and volumes (loadProject reads files only)', () => {
  let dir: string;
  const file = () => join(dir, 'compose.yml');
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcp-podman-compose-unit-'));
    await writeFile(
      file(),
      [
        'name: unit',
        'services:',
        '  web:',
        '    image: busybox',
        '    volumes:',
        '      - /cache',
        '      - ./short:/short',
        '      - {type: volume, target: /more, volume: {nocopy: true}}',
        '      - {type: bind, source: ./new, target: /new, read_only: true, bind: {create_host_path: true}}',
        '  debug:',
        '    image: busybox',
        '    profiles: [debug, dev]',
        '    depends_on: [web]',
      ].join('\n'),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('runs a profiled service only when one of its profiles is enabled, by argument or COMPOSE_PROFILES', async () => {
    assert.deepEqual((await loadProject({ bindRoots: [dir], composeEnv: [], file: file() })).order, ['web']);
    assert.deepEqual(
      (await loadProject({ bindRoots: [dir], composeEnv: [], file: file(), profiles: ['dev'] })).order,
      ['web', 'debug'],
    );
    const byVariable = await loadProject({
      bindRoots: [dir],
      composeEnv: [],
      file: file(),
      variables: { COMPOSE_PROFILES: 'x, debug' },
    });
    assert.deepEqual(byVariable.order, ['web', 'debug']);
    // The argument wins over the variable, as compose's --profile does.
    const both = await loadProject({
      bindRoots: [dir],
      composeEnv: [],
      file: file(),
      profiles: [],
      variables: { COMPOSE_PROFILES: 'debug' },
    });
    assert.deepEqual(both.disabled, ['debug']);
  });

  it('makes anonymous volumes of "/path" and a long volume without source; a short bind may be created', async () => {
    const web = (await loadProject({ bindRoots: [dir], composeEnv: [], file: file() })).services.web!;
    assert.deepEqual(web.volumes, [
      { destination: '/cache', options: [] },
      { destination: '/more', options: ['nocopy'] },
    ]);
    assert.deepEqual(web.binds, [
      { source: join(dir, 'short'), destination: '/short', options: [], createHostPath: true },
      { source: join(dir, 'new'), destination: '/new', options: ['ro'], createHostPath: true },
    ]);
    // Long syntax without create_host_path: a missing source is an error, before anything is created.
    const strict = join(dir, 'strict.yml');
    await writeFile(
      strict,
      'services:\n  web:\n    image: busybox\n    volumes: [{type: bind, source: ./absent, target: /a}]\n',
    );
    await assert.rejects(
      loadProject({ bindRoots: [dir], composeEnv: [], file: strict }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'INVALID_PARAMS');
        assert.match(
          err.message,
          /volumes\[0\]\.source: ".*absent" does not exist; create it, or set bind\.create_host_path: true/,
        );
        return true;
      },
    );
  });
});
