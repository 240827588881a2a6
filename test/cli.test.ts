import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { replicaContainerName, replicaLabels } from '../src/api/services/labels.js';
import { writeTemplates } from './helpers/api.js';
import { runCli } from './helpers/cli-exit.js';
import { ensureBusybox } from './helpers/images.js';
import {
  CLI,
  call,
  connectStdio,
  type HttpServerProcess,
  startHttpServer,
  startServeProcess,
} from './helpers/mcp.js';
import { listContainers, podmanCli, startPodman, type TestPodman } from './helpers/podman.js';

/** Runs the built CLI as a user would; resolves when it exits. */
const cli = runCli;

/** A loopback port nothing listens on: bound, read, and released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const SERVER_JSON = {
  name: 'io.github.example/weather',
  description: 'Weather forecasts',
  version: '1.2.0',
  packages: [
    {
      registryType: 'npm',
      identifier: '@example/weather-mcp',
      version: '1.2.0',
      transport: { type: 'stdio' },
      environmentVariables: [{ name: 'WEATHER_API_KEY', isRequired: true, isSecret: true }],
    },
  ],
};

describe('mcp-podman commands', () => {
  it('says a mistyped command is unknown and suggests the one meant, instead of serving', async () => {
    const typo = await cli(['serv']);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /unknown command 'serv'/);
    assert.match(typo.stderr, /Did you mean serve\?/);
    assert.doesNotMatch(typo.stderr, /too many arguments/);
    // With no command, or with only serve's flags, it still serves.
    const help = await cli(['--transport', 'http', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: mcp-podman serve/);
  });
});

describe('mcp-podman catalog', () => {
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcp-podman-cli-'));
    env = { XDG_CONFIG_HOME: join(dir, 'config') };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('lists, searches and shows built-in entries as a table or JSON', async () => {
    const all = await cli(['catalog', 'ls'], env);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^ID\s+NAME\s+TRANSPORT\s+RUNS\s+SOURCE/);
    assert.match(all.stdout, /\nmemory\s+Memory/);
    const found = await cli(['catalog', 'ls', 'knowledge graph', '--json'], env);
    assert.deepEqual(
      (JSON.parse(found.stdout) as { entries: { id: string }[] }).entries.map((e) => e.id),
      ['memory'],
    );
    const shown = await cli(['catalog', 'show', 'memory', '--json'], env);
    assert.equal(JSON.parse(shown.stdout).package.name, '@modelcontextprotocol/server-memory');
    const missing = await cli(['catalog', 'show', 'no-such-entry'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /NOT_FOUND: No catalog entry "no-such-entry"\. Use `mcp-podman catalog ls`/);
  });

  it('imports a server.json into the user catalog, refuses a duplicate and a bad file, and serve loads it', async () => {
    const file = join(dir, 'server.json');
    await writeFile(file, JSON.stringify(SERVER_JSON));
    const userCatalog = join(dir, 'config', 'mcp-podman', 'catalog.yaml');

    const imported = await cli(['catalog', 'import', file], env);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /Imported "io\.github\.example\/weather"/);
    const saved = parseYaml(await readFile(userCatalog, 'utf8')) as { entries: Record<string, any>[] };
    assert.equal(saved.entries.length, 1);
    assert.deepEqual(saved.entries[0]!.package, { name: '@example/weather-mcp', version: '1.2.0' });
    assert.deepEqual(saved.entries[0]!.env.WEATHER_API_KEY, { required: true, secret: true });

    const again = await cli(['catalog', 'import', file], env);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /CONFLICT: .*--replace/);
    assert.equal((await cli(['catalog', 'import', '--replace', file], env)).code, 0);

    const bad = join(dir, 'bad.json');
    await writeFile(
      bad,
      JSON.stringify({ ...SERVER_JSON, name: 'bad', packages: [{ registryType: 'pypi' }] }),
    );
    const before = await readFile(userCatalog, 'utf8');
    const refused = await cli(['catalog', 'import', bad], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /INVALID_PARAMS: .*no package mcp-podman can run/);
    assert.equal(await readFile(userCatalog, 'utf8'), before, 'a refused import leaves the file alone');

    const listed = await cli(['catalog', 'ls', 'weather', '--json'], env);
    assert.equal(JSON.parse(listed.stdout).entries[0].source, userCatalog);

    const served = await connectStdio(['--no-embedded', '--socket-path', join(dir, 'absent.sock')], env);
    try {
      const result = await call(served.client, 'registry_list', { query: 'weather' });
      assert.equal(result.isError, undefined, JSON.stringify(result).slice(0, 300));
      assert.deepEqual(
        (result.structuredContent!.entries as { id: string }[]).map((e) => e.id),
        ['io.github.example/weather'],
      );
    } finally {
      await served.close();
    }
  });
});

describe('mcp-podman server, directly against Podman (no instance running)', () => {
  let podman: TestPodman;
  let target: string[];

  before(async () => {
    podman = await startPodman();
    await ensureBusybox();
    target = ['--url', `http://127.0.0.1:${await closedPort()}`, '--socket-path', podman.socketPath];
  });

  after(async () => {
    const leftovers = await podman.sweep();
    await podman.stop();
    assert.equal(leftovers, 0, 'tests must remove every container they create');
  });

  /**
   * A service as an instance leaves it in Podman: containers labelled by the product's own
   * replicaLabels(). Only the CLI's reading side is under test here, with no instance to ask.
   */
  async function fixtureService(name: string, replicas: number): Promise<void> {
    for (let i = 0; i < replicas; i++) {
      const labels = replicaLabels({
        service: name,
        replica: i,
        template: '-',
        kind: 'http',
        port: 8080,
        replicas,
        healthPath: '/',
        createdAt: new Date().toISOString(),
        user: {},
      });
      await podmanCli([
        'run',
        '-d',
        '--name',
        replicaContainerName(name, i),
        ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
        '-p',
        '127.0.0.1::8080',
        'localhost/mcp-podman-test/busybox:latest',
        'sh',
        '-c',
        `echo hello-from-${name}-${i}; echo ok > /tmp/index.html; exec httpd -f -p 8080 -h /tmp`,
      ]);
    }
  }

  it('lists a service, shows its status and logs, and removes it', async () => {
    await fixtureService('clisvc', 2);

    const ls = await cli(['server', 'ls', ...target]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stderr, /No mcp-podman instance answers at .*; acting on Podman directly/);
    assert.match(ls.stdout, /^NAME\s+KIND\s+TEMPLATE\s+STATE\s+REPLICAS\s+ROUTE/);
    assert.match(ls.stdout, /\nclisvc\s+http\s+-\s+\w+\s+\d\/2\s+clisvc\.localhost/);

    const status = await cli(['server', 'status', 'clisvc', '--json', ...target]);
    assert.equal(status.code, 0, status.stderr);
    const service = JSON.parse(status.stdout);
    assert.equal(service.name, 'clisvc');
    assert.equal(service.replicas_desired, 2);
    assert.deepEqual(
      service.replicas.map((r: { name: string }) => r.name),
      ['mcp-podman-svc.clisvc.0', 'mcp-podman-svc.clisvc.1'],
    );
    for (const r of service.replicas) {
      assert.equal(r.state, 'running');
      assert.ok(Number.isInteger(r.host_port), 'the loopback port is read back from Podman');
      const res = await fetch(`http://127.0.0.1:${r.host_port}/`);
      assert.equal((await res.text()).trim(), 'ok');
    }

    const logs = await cli(['server', 'logs', 'clisvc', ...target]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^mcp-podman-svc\.clisvc\.0 \| hello-from-clisvc-0$/m);
    assert.match(logs.stdout, /^mcp-podman-svc\.clisvc\.1 \| hello-from-clisvc-1$/m);

    const text = await cli(['server', 'status', 'clisvc', ...target]);
    assert.match(text.stdout, /^REPLICA\s+ID\s+STATE\s+HEALTH\s+HOST PORT/m);

    const removed = await cli(['server', 'rm', 'clisvc', ...target]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(
      (await listContainers(podman.client)).filter((c) => c.Labels?.['io.mcp-podman.service'] === 'clisvc')
        .length,
      0,
    );
    const gone = await cli(['server', 'status', 'clisvc', ...target]);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /NOT_FOUND: No service "clisvc"/);
  });

  it('follows logs until interrupted', async () => {
    await fixtureService('clifollow', 1);
    const child = spawn(process.execPath, [CLI, 'server', 'logs', '-f', '--json', 'clifollow', ...target], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) resolve();
      }),
    );
    assert.deepEqual(JSON.parse(stdout.split('\n')[0]!), {
      replica: 'mcp-podman-svc.clifollow.0',
      line: 'hello-from-clifollow-0',
    });
    const exited = new Promise<number | null>((r) => child.once('close', r));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.equal((await cli(['server', 'rm', 'clifollow', ...target])).code, 0);
  });

  it('says that adding needs a running instance, and rejects an incomplete add', async () => {
    const add = await cli(['server', 'add', 'cliadd', '--template', 'memory', ...target]);
    assert.equal(add.code, 2);
    assert.match(add.stderr, /UNAVAILABLE: Adding a service needs a running instance/);
    const incomplete = await cli(['server', 'add', 'cliadd', '--image', 'x', ...target]);
    assert.equal(incomplete.code, 2);
    assert.match(incomplete.stderr, /--template NAME, or --image IMAGE with --port N/);
    const created = (await listContainers(podman.client)).filter(
      (c) => c.Labels?.['io.mcp-podman.service'] === 'cliadd',
    );
    assert.equal(created.length, 0, 'nothing was created');
  });
});

describe('mcp-podman server, through a running instance', () => {
  let podman: TestPodman;
  let dir: string;
  let server: HttpServerProcess;
  let env: Record<string, string>;
  const token = 'cli-test-token-0123456789';

  before(async () => {
    const busybox = await ensureBusybox();
    podman = await startPodman();
    dir = await mkdtemp(join(tmpdir(), 'mcp-podman-cli-api-'));
    const templates = await writeTemplates(dir, { busybox, everything: busybox });
    server = await startHttpServer(
      [
        '--socket-path',
        podman.socketPath,
        '--no-builtin-catalog',
        '--auth-token',
        token,
        '--log-level',
        'info',
      ],
      { MCP_PODMAN_TEMPLATES: templates, HEALTH_CHECK_INTERVAL: '1' },
    );
    env = { MCP_PODMAN_URL: server.url, MCP_PODMAN_AUTH_TOKEN: token, XDG_CONFIG_HOME: dir };
  });

  after(async () => {
    await server?.stop();
    const leftovers = await podman.sweep();
    await podman.stop();
    await rm(dir, { recursive: true, force: true });
    assert.equal(leftovers, 0, 'tests must remove every container they create');
  });

  it('adds, lists, shows, logs and removes a service through the API', async () => {
    const add = await cli(['server', 'add', 'web', '--template', 'web', '--replicas', '2', '--json'], env);
    assert.equal(add.code, 0, add.stderr);
    const created = JSON.parse(add.stdout);
    assert.equal(created.name, 'web');
    assert.equal(created.replicas_desired, 2);

    const ls = await cli(['server', 'ls'], env);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^NAME\s+/m, 'a table by default');
    assert.match(ls.stdout, /\bweb\b/);

    const status = await cli(['server', 'status', 'web', '--json'], env);
    const view = JSON.parse(status.stdout);
    assert.equal(view.replicas.length, 2);
    assert.equal(view.routes.host, 'web.localhost');

    const logs = await cli(['server', 'logs', 'web', '--json'], env);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /started replica-[01]/);

    const wrong = await cli(['server', 'ls'], { ...env, MCP_PODMAN_AUTH_TOKEN: 'wrong-token-wrong-token' });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /UNAUTHORIZED/);

    const rmWeb = await cli(['server', 'rm', 'web'], env);
    assert.equal(rmWeb.code, 0, rmWeb.stderr);
    assert.equal((await listContainers(podman.client)).length, 0, 'the service containers are gone');
    const missing = await cli(['server', 'status', 'web'], env);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NOT_FOUND/);
  });
  it('finds the token a local instance generated, in its owner-only file, when none is given', async () => {
    const runtime = await mkdtemp(join(tmpdir(), 'mcp-podman-cli-runtime-'));
    const local = await startServeProcess(
      ['--transport', 'http', '--port', '0', '--socket-path', podman.socketPath, '--no-builtin-catalog'],
      { XDG_RUNTIME_DIR: runtime },
      /"url":"(http:\/\/[^"]+)\/mcp"/,
    );
    try {
      const found = await cli(['server', 'ls', '--json'], {
        MCP_PODMAN_URL: local.url,
        XDG_RUNTIME_DIR: runtime,
        XDG_CONFIG_HOME: dir,
      });
      assert.equal(found.code, 0, found.stderr);
      assert.deepEqual(JSON.parse(found.stdout).services, []);
      const elsewhere = await cli(['server', 'ls'], {
        MCP_PODMAN_URL: local.url,
        XDG_RUNTIME_DIR: dir,
        XDG_CONFIG_HOME: dir,
      });
      assert.notEqual(elsewhere.code, 0, 'no token file, no token');
      assert.match(elsewhere.stderr, /UNAUTHORIZED/);
    } finally {
      await local.stop();
      await rm(runtime, { recursive: true, force: true });
    }
  });
});
