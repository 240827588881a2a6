import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { quadletAvailable } from '../src/cli/install.js';
import { type CliRun, runCli } from './helpers/cli-exit.js';
import { BUSYBOX, ensureBusybox } from './helpers/images.js';
import { podmanCli, startPodman, storeArgs, type TestPodman } from './helpers/podman.js';

const run = promisify(execFile);

interface Check {
  id: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  finding: string;
  fix?: string;
}

interface Doctor extends CliRun {
  ms: number;
  checks: Check[];
}

/** Runs `mcp-podman doctor ARGS` with a bare environment (no MCP_PODMAN_* leaks in from the test's own). */
async function doctor(args: string[], env: Record<string, string> = {}): Promise<Doctor> {
  const started = Date.now();
  const result = await runCli(['doctor', ...args], env);
  const checks = args.includes('--json') ? (JSON.parse(result.stdout) as { checks: Check[] }).checks : [];
  return { ...result, ms: Date.now() - started, checks };
}

function check(result: Doctor, id: string): Check {
  const found = result.checks.find((c) => c.id === id);
  assert.ok(found, `no check "${id}" in ${result.stdout}`);
  return found;
}

/** Every warn and fail says what to do. */
function assertFixes(result: Doctor): void {
  for (const c of result.checks)
    if (c.status === 'warn' || c.status === 'fail') assert.ok(c.fix, `${c.id} (${c.status}) has no fix`);
}

async function listen(server: Server, where: string | number): Promise<void> {
  await new Promise<void>((resolve) =>
    typeof where === 'string' ? server.listen(where, resolve) : server.listen(where, '127.0.0.1', resolve),
  );
}

describe('mcp-podman doctor', () => {
  let podman: TestPodman;
  let dir: string;
  before(async () => {
    podman = await startPodman();
    await ensureBusybox();
    dir = await mkdtemp(join(tmpdir(), 'mcp-podman-doctor-'));
  });
  after(async () => {
    await podman.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the Podman it reached, a missing base image, the registry and Quadlet, each with a fix', async () => {
    const version = await podman.client.json<{ Version: string }>('GET', '/libpod/version');
    const result = await doctor(['--socket-path', podman.socketPath, '--json']);
    const podmanCheck = check(result, 'podman');
    assert.equal(podmanCheck.status, 'ok', podmanCheck.finding);
    assert.match(podmanCheck.finding, new RegExp(`--socket-path unix://${podman.socketPath} answered`));
    const versionCheck = check(result, 'version');
    assert.equal(versionCheck.status, 'ok');
    assert.ok(versionCheck.finding.includes(`Podman ${version.Version} `), versionCheck.finding);
    // The config's default base image, which the test store never holds (nothing is pulled here).
    await assert.rejects(podmanCli(['image', 'exists', 'docker.io/library/node:22-alpine']));
    const base = check(result, 'base-image');
    assert.equal(base.status, 'warn');
    assert.match(base.finding, /docker\.io\/library\/node:22-alpine is not present/);
    assert.match(base.fix ?? '', /--base-image/);
    // Whatever the network does, the registry was asked; unreachable (as on this machine) says what to do offline.
    const registry = check(result, 'registry');
    assert.match(registry.finding, /https:\/\/docker\.io\/v2\//);
    if (registry.status !== 'ok') assert.match(registry.fix ?? '', /--base-image/);
    const quadlet = check(result, 'quadlet');
    if (quadletAvailable()) assert.equal(quadlet.status, 'ok');
    else {
      assert.equal(quadlet.status, 'warn');
      assert.match(quadlet.fix ?? '', /install --systemd/);
    }
    for (const id of ['runtime', 'rlimits', 'selinux', 'bind-roots', 'http-auth']) check(result, id);
    assertFixes(result);
    assert.equal(result.code, result.checks.some((c) => c.status === 'fail') ? 1 : 0);
    assert.equal(result.code, 0, 'warnings alone exit 0');
  });

  it('fails with a fix and exits 1 when the socket is missing, and skips what needs Podman', async () => {
    const result = await doctor(['--socket-path', '/nonexistent.sock', '--no-embedded', '--json']);
    assert.equal(result.code, 1);
    const podmanCheck = check(result, 'podman');
    assert.equal(podmanCheck.status, 'fail');
    assert.match(podmanCheck.finding, /unix:\/\/\/nonexistent\.sock: no such socket/);
    assert.match(podmanCheck.fix ?? '', /podman system service --time=0 unix:\/\/\/nonexistent\.sock/);
    assert.equal(check(result, 'base-image').status, 'skip');
    assert.equal(check(result, 'version').status, 'skip');
    // A URL mcp-podman cannot use is a failure that says which forms it takes, not a crash.
    const badUrl = await doctor(['--url', 'ftp://podman', '--json']);
    assert.equal(badUrl.code, 1);
    assert.equal(check(badUrl, 'podman').status, 'fail');
    assert.match(check(badUrl, 'podman').fix ?? '', /--url unix:\/\/\/path\/to\/podman\.sock or tcp:/);
    // Checks that need no Podman still ran.
    assert.notEqual(check(result, 'quadlet').status, 'skip');
    // The readable form: a table, then the fixes.
    const text = await doctor(['--socket-path', '/nonexistent.sock']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /✗ fail +podman +No Podman answered/);
    assert.match(text.stdout, /\nFixes:\n {2}podman: start a service there/);
  });

  it('finds a base image that is present, and needs no registry for a local name', async () => {
    const result = await doctor(['--socket-path', podman.socketPath, '--base-image', BUSYBOX, '--json']);
    assert.equal(check(result, 'base-image').status, 'ok');
    assert.match(check(result, 'base-image').finding, /is present/);
    assert.equal(check(result, 'registry').status, 'ok');
    assert.match(check(result, 'registry').finding, /local name/);
  });

  it('gives up on a Podman socket that accepts and never answers, and says so', async () => {
    const silent = createServer(() => undefined);
    await listen(silent, join(dir, 'silent.sock'));
    try {
      const result = await doctor(['--socket-path', join(dir, 'silent.sock'), '--json']);
      assert.equal(result.code, 1);
      const podmanCheck = check(result, 'podman');
      assert.equal(podmanCheck.status, 'fail');
      assert.match(podmanCheck.finding, /no answer within 3 s/);
      assert.ok(podmanCheck.fix);
      assert.ok(result.ms < 20_000, `took ${result.ms} ms`);
    } finally {
      silent.close();
    }
  });

  it('gives up on a registry that accepts and never answers, within its 5 s', async () => {
    const silent = createServer(() => undefined);
    await listen(silent, 0);
    const { port } = silent.address() as { port: number };
    try {
      const result = await doctor([
        '--socket-path',
        podman.socketPath,
        '--base-image',
        `127.0.0.1:${port}/node:22`,
        '--json',
      ]);
      const registry = check(result, 'registry');
      assert.equal(registry.status, 'warn');
      assert.match(
        registry.finding,
        new RegExp(`https://127\\.0\\.0\\.1:${port}/v2/ is unreachable \\(no answer within 5 s\\)`),
      );
      assert.match(registry.fix ?? '', /--base-image/);
      assert.ok(result.ms < 15_000, `took ${result.ms} ms`);
    } finally {
      silent.close();
    }
  });

  it('counts any HTTP answer from a registry, 401 included, as reachable', async () => {
    const key = join(dir, 'registry.key');
    const cert = join(dir, 'registry.crt');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    const registry = createHttpsServer(
      { key: await readFile(key), cert: await readFile(cert) },
      (req, res) => {
        res.writeHead(req.url === '/v2/' ? 401 : 404, { 'www-authenticate': 'Bearer realm="x"' }).end();
      },
    );
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    const { port } = registry.address() as { port: number };
    try {
      const result = await doctor(
        ['--socket-path', podman.socketPath, '--base-image', `127.0.0.1:${port}/node:22`, '--json'],
        { NODE_EXTRA_CA_CERTS: cert },
      );
      const found = check(result, 'registry');
      assert.equal(found.status, 'ok', found.finding);
      assert.match(found.finding, /answered \(HTTP 401\)/);
    } finally {
      registry.close();
    }
  });

  it('starts an embedded service as serve would when no socket answers, and leaves nothing running', async (t) => {
    if (existsSync('/run/podman/podman.sock'))
      return t.skip('a rootful Podman socket exists on this machine');
    // A podman on PATH that serves the test store, and records its pid so the test can see it stopped.
    const bin = join(dir, 'bin');
    const pids = join(dir, 'podman.pids');
    await run('mkdir', ['-p', bin]);
    const realPodman = (await run('sh', ['-c', 'command -v podman'])).stdout.trim();
    await writeFile(
      join(bin, 'podman'),
      `#!/bin/sh\necho $$ >> ${pids}\nexec ${realPodman} ${storeArgs().join(' ')} "$@"\n`,
    );
    await chmod(join(bin, 'podman'), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const result = await doctor(['--json', '--base-image', BUSYBOX], env);
    const podmanCheck = check(result, 'podman');
    assert.equal(podmanCheck.status, 'warn', podmanCheck.finding);
    assert.match(podmanCheck.finding, /rootful socket unix:\/\/\/run\/podman\/podman\.sock: no such socket/);
    assert.match(podmanCheck.finding, /doctor started one: it answered/);
    assert.match(podmanCheck.fix ?? '', /podman system service --time=0/);
    // It reached the test store through the embedded service: the busybox image is there.
    assert.equal(check(result, 'base-image').status, 'ok');
    assert.equal(result.code, 0);
    const started = (await readFile(pids, 'utf8')).trim().split('\n');
    assert.ok(started.length >= 1);
    for (const pid of started)
      assert.throws(() => process.kill(Number(pid), 0), 'the embedded service outlived doctor');
    // With --no-embedded, the same machine has no Podman.
    const refused = await doctor(['--json', '--no-embedded'], env);
    assert.equal(refused.code, 1);
    assert.match(check(refused, 'podman').finding, /--no-embedded/);
  });

  it('says whether HTTP would need a token, never prints one, and names missing bind roots', async () => {
    const token = 'doctor-test-token-0123456789abcdef';
    const withToken = await doctor(['--socket-path', podman.socketPath, '--json'], {
      MCP_PODMAN_AUTH_TOKEN: token,
      MCP_PODMAN_BIND_ROOTS: `${dir},/nonexistent-root`,
    });
    assert.equal(check(withToken, 'http-auth').status, 'ok');
    assert.match(check(withToken, 'http-auth').finding, /configured token/);
    assert.ok(
      !withToken.stdout.includes(token) && !withToken.stderr.includes(token),
      'the token was printed',
    );
    const roots = check(withToken, 'bind-roots');
    assert.equal(roots.status, 'warn');
    assert.match(roots.finding, /^\/nonexistent-root does not exist/);
    assert.ok(roots.fix);
    const noAuth = await doctor(['--socket-path', podman.socketPath, '--json'], {
      MCP_PODMAN_UNSAFE_NO_AUTH: '1',
    });
    assert.equal(check(noAuth, 'http-auth').status, 'warn');
    assert.match(check(noAuth, 'http-auth').fix ?? '', /--unsafe-no-auth/);
  });
});
