import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { quadletAvailable, systemdUnit } from '../src/cli/install.js';
import { ensureNodeImage } from './helpers/images.js';
import { CLI } from './helpers/mcp.js';
import { podmanCli, startPodman, type TestPodman } from './helpers/podman.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('..', import.meta.url));

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/**
 * A systemd-style INI file: sections of keys, each key with all its values in order. A line that
 * ends in a backslash goes on in the next one, as systemd reads it.
 */
function parseIni(text: string): Record<string, Record<string, string[]>> {
  const sections: Record<string, Record<string, string[]>> = {};
  let current: Record<string, string[]> | undefined;
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      current = {};
      sections[section[1]!] = current;
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current && eq > 0, `not a key=value line inside a section: ${line}`);
    const key = line.slice(0, eq).trim();
    current[key] = [...(current[key] ?? []), line.slice(eq + 1).trim()];
  }
  return sections;
}

/** The argument list of a unit's ExecStart, split as systemd splits it (double quotes group words). */
function execStartOf(unit: string): string[] {
  const line = parseIni(unit).Service?.ExecStart?.[0];
  assert.ok(line, 'the unit has an ExecStart');
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('mcp-podman install --quadlet', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcp-podman-install-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('prints a user unit that parses as INI with the expected keys', async () => {
    const out = await cli(['install', '--quadlet', '--print', '--port', '9123', '--token-secret', 'tok']);
    assert.equal(out.code, 0, out.stderr);
    const unit = parseIni(out.stdout);
    assert.deepEqual(Object.keys(unit), ['Unit', 'Container', 'Service', 'Install']);
    const c = unit.Container!;
    assert.deepEqual(c.Image, ['localhost/mcp-podman:latest']);
    assert.deepEqual(c.Network, ['host'], 'it reaches the replicas it publishes on the host loopback');
    assert.equal(c.PublishPort, undefined);
    assert.deepEqual(c.Volume, ['%t/podman/podman.sock:/run/podman/podman.sock:rw']);
    assert.deepEqual(c.UserNS, ['keep-id']);
    assert.deepEqual(c.Secret, ['tok,type=env,target=MCP_PODMAN_AUTH_TOKEN']);
    assert.match(
      c.Exec![0]!,
      /^serve --transport http --host 127\.0\.0\.1 --port 9123 --socket-path \/run\/podman\/podman\.sock$/,
    );
    assert.match(c.HealthCmd![0]!, /\/health$/);
    assert.deepEqual(unit.Unit!.Requires, ['podman.socket']);
    assert.deepEqual(unit.Install!.WantedBy, ['default.target']);
  });

  it('prints a system unit for rootful Podman', async () => {
    const out = await cli(['install', '--quadlet', '--system', '--print']);
    const unit = parseIni(out.stdout);
    assert.deepEqual(unit.Container!.Volume, ['/run/podman/podman.sock:/run/podman/podman.sock:rw']);
    assert.deepEqual(unit.Container!.User, ['0']);
    assert.match(unit.Container!.Exec![0]!, /--host 127\.0\.0\.1 --port 8913 /);
    assert.deepEqual(unit.Container!.Secret, ['mcp-podman-token,type=env,target=MCP_PODMAN_AUTH_TOKEN']);
    assert.deepEqual(unit.Install!.WantedBy, ['multi-user.target']);
  });

  it('writes the user unit under XDG_CONFIG_HOME, and refuses to overwrite it without --force', async () => {
    const env = { XDG_CONFIG_HOME: join(dir, 'config') };
    const path = join(dir, 'config', 'systemd', 'user', 'mcp-podman.service');
    const first = await cli(['install', '--systemd', '--port', '9124'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`Wrote ${path}`));
    assert.match(first.stderr, /podman secret create mcp-podman-token/);
    const exec = () => readFile(path, 'utf8').then((text) => execStartOf(text).join(' '));
    assert.match(await exec(), / --userns=keep-id /);
    assert.match(await exec(), / --volume %t\/podman\/podman\.sock:\/run\/podman\/podman\.sock:rw /);
    assert.match(await exec(), /--port 9124 /);
    const again = await cli(['install', '--systemd', '--port', '9125'], env);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /CONFLICT: .*--force/);
    assert.equal((await cli(['install', '--systemd', '--port', '9125', '--force'], env)).code, 0);
    assert.match(await exec(), /--port 9125 /);
    const unsaid = await cli(['install'], env);
    assert.equal(unsaid.code, 2);
    assert.match(unsaid.stderr, /--quadlet .*Podman 4\.4.* or --systemd/);
  });

  it('writes a Quadlet unit only where Podman has Quadlet (4.4+), and otherwise offers --systemd', async () => {
    const env = { XDG_CONFIG_HOME: join(dir, 'quadlet-config') };
    const path = join(dir, 'quadlet-config', 'containers', 'systemd', 'mcp-podman.container');
    const res = await cli(['install', '--quadlet'], env);
    if (quadletAvailable()) {
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, new RegExp(`Wrote ${path}`));
    } else {
      // Debian 12's Podman 4.3.1, as on these machines: no generator, so nothing is written.
      assert.equal(res.code, 2);
      assert.match(res.stderr, /UNAVAILABLE: Quadlet needs Podman 4\.4 or newer.*install --systemd/);
      await assert.rejects(readFile(path), 'no unit was written');
      const printed = await cli(['install', '--quadlet', '--print'], env);
      assert.equal(printed.code, 0, 'it still prints one, for a newer host');
      assert.match(printed.stderr, /Quadlet needs Podman 4\.4/);
      assert.ok(parseIni(printed.stdout).Container);
    }
  });
});

describe('the Containerfile', () => {
  let podman: TestPodman;
  const suffix = randomBytes(4).toString('hex');
  const image = `localhost/mcp-podman-test/self-${suffix}:latest`;
  const secret = `mcpp-install-token-${suffix}`;
  const container = `mcpp-install-${suffix}`;

  before(async () => {
    podman = await startPodman();
  });

  after(async () => {
    await podmanCli(['rm', '-f', '-t', '0', container]).catch(() => undefined);
    await podmanCli(['secret', 'rm', secret]).catch(() => undefined);
    await podmanCli(['rmi', image]).catch(() => undefined);
    const leftovers = await podman.sweep();
    await podman.stop();
    assert.equal(leftovers, 0, 'tests must remove every container they create');
  });

  /**
   * The runtime stage of the real Containerfile, fed from a context prepared on the host: the local
   * base image has no npm and no registry is reachable from a build. So production dependencies are installed on the host and
   * dist/ is the one `npm run build` made; every other line of the stage is used as written.
   */
  async function runtimeStage(ctx: string): Promise<string> {
    const real = await readFile(join(REPO, 'Containerfile'), 'utf8');
    const stage = real.slice(real.lastIndexOf('\nFROM ') + 1);
    const replaced = stage
      .replace(/^RUN npm install --omit=dev .*$/m, 'COPY node_modules ./node_modules')
      .replace(/^COPY --from=build \/app\/dist \.\/dist$/m, 'COPY dist ./dist');
    assert.equal(replaced.split('\n').length, stage.split('\n').length);
    assert.ok(!/npm install|--from=build/.test(replaced), 'the runtime stage has the expected shape');
    for (const path of ['package.json', 'package-lock.json', 'dist', 'catalog', 'src/api/dashboard']) {
      await cp(join(REPO, path), join(ctx, path), { recursive: true });
    }
    await run(
      'npm',
      ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock'],
      {
        cwd: ctx,
        timeout: 300_000,
      },
    );
    await writeFile(join(ctx, 'Containerfile'), `ARG BASE\n${replaced}`);
    return ctx;
  }

  it('builds, runs against the mounted Podman socket, and answers /health from the host', async () => {
    const ctx = await runtimeStage(await mkdtemp(join(tmpdir(), 'mcp-podman-image-')));
    try {
      const base = await ensureNodeImage();
      await podmanCli([
        'build',
        '--layers=false',
        '--build-arg',
        `BASE=${base}`,
        '-t',
        image,
        '-f',
        join(ctx, 'Containerfile'),
        ctx,
      ]);
    } finally {
      await rm(ctx, { recursive: true, force: true });
    }
    const token = randomBytes(24).toString('hex');
    // From a file: Podman 4.3 reads `-` only from a FIFO, and a spawned child's stdin is a socket.
    const tokenFile = join(podman.dir, 'token');
    await writeFile(tokenFile, token, { mode: 0o600 });
    await podmanCli(['secret', 'create', secret, tokenFile]);
    await rm(tokenFile);
    // Exactly what the plain systemd unit runs (the rootful one: the test socket is root's, mode
    // 0600), with the test's socket, image and a free port put in.
    const hostPort = await freePort();
    const unit = systemdUnit({ scope: 'system', image, port: hostPort, tokenSecret: secret, selinux: false });
    const argv = execStartOf(unit).map((arg) =>
      arg.startsWith('/run/podman/podman.sock:')
        ? arg.replace('/run/podman/podman.sock', podman.socketPath)
        : arg === 'mcp-podman'
          ? container
          : arg,
    );
    assert.deepEqual(argv.slice(0, 2), ['/usr/bin/podman', 'run']);
    await podmanCli(['run', '-d', ...argv.slice(2)]);
    let health: Response | undefined;
    for (let i = 0; i < 100 && !health; i++) {
      health = await fetch(`http://127.0.0.1:${hostPort}/health`).catch(() => undefined);
      if (!health) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(health, `no answer on ${hostPort}: ${await podmanCli(['logs', container])}`);
    assert.equal(health.status, 200, 'Podman answers through the mounted socket');
    assert.equal(((await health.json()) as { status: string }).status, 'healthy');
    assert.equal((await fetch(`http://127.0.0.1:${hostPort}/metrics`)).status, 401, 'the token is required');
    const user = (await podmanCli(['image', 'inspect', '--format', '{{.Config.User}}', image])).trim();
    assert.equal(user, '1000:1000', 'the image itself does not run as root');
  });
});
