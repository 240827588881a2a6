import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { PodmanClient } from '../src/podman/client.js';
import { CLI, call, connectStdio, errorOf, startHttpServer, textOf } from './helpers/mcp.js';
import { STORE, startPodman, storeArgs, type TestPodman } from './helpers/podman.js';
import { type JsonSchema, requiredArgs } from './helpers/schema-args.js';

const ROOTFUL_SOCKET = '/run/podman/podman.sock';

/** Whether a rootful Podman service answers; discovery tries it before starting an embedded one. */
async function rootfulAnswers(): Promise<boolean> {
  if (!existsSync(ROOTFUL_SOCKET)) return false;
  const client = new PodmanClient({ kind: 'unix', socketPath: ROOTFUL_SOCKET });
  try {
    await client.ping(AbortSignal.timeout(2000));
    return true;
  } catch {
    return false;
  } finally {
    await client.close();
  }
}

function realPodman(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'podman'))) return join(dir, 'podman');
  }
  throw new Error('podman is not on PATH');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function exited(child: ChildProcess, withinMs: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`mcp-podman did not exit within ${withinMs} ms`)),
      withinMs,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** The first JSON log line on stderr whose msg is `msg`. */
function logLine(stderr: string, msg: string): Record<string, any> | undefined {
  for (const line of stderr.split('\n')) {
    if (!line.includes(msg)) continue;
    const parsed = JSON.parse(line) as Record<string, any>;
    if (parsed.msg === msg) return parsed;
  }
  return undefined;
}

/** Pids of `podman system service` processes on the test store that serve a socket mcp-podman made. */
async function embeddedServices(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await readFile(`/proc/${entry}/cmdline`, 'utf8').then(
      (c) => c.split('\0'),
      (): string[] => [],
    );
    const socket = argv.find((a) => a.startsWith(`unix://${join(tmpdir(), 'mcp-podman-')}`)) ?? '';
    if (
      argv.includes('service') &&
      argv.includes(join(STORE, 'root')) &&
      !socket.includes('mcp-podman-test-')
    ) {
      if (socket) pids.push(Number(entry));
    }
  }
  return pids;
}

describe('finding Podman: flags, CONTAINER_HOST, the embedded service, and the not-connected error', () => {
  let podman: TestPodman;
  let wrapperDir: string;
  let rootful: boolean;

  before(async () => {
    podman = await startPodman();
    rootful = await rootfulAnswers();
    // A `podman` first on PATH that runs the real one on the test store, so the embedded service
    // never touches the machine's default store.
    wrapperDir = await mkdtemp(join(tmpdir(), 'mcp-podman-wrapper-'));
    const quoted = [realPodman(), ...storeArgs()].map((a) => `'${a}'`).join(' ');
    await writeFile(join(wrapperDir, 'podman'), `#!/bin/sh\nexec ${quoted} "$@"\n`);
    await chmod(join(wrapperDir, 'podman'), 0o755);
  });

  after(async () => {
    await rm(wrapperDir, { recursive: true, force: true });
    const leftovers = await podman.sweep();
    await podman.stop();
    assert.equal(leftovers, 0, 'tests must remove every container they create');
  });

  it('uses CONTAINER_HOST=unix://... and reports it as the source', async () => {
    const server = await connectStdio(['--no-embedded', '--log-level', 'warn'], {
      CONTAINER_HOST: `unix://${podman.socketPath}`,
    });
    try {
      const info = await call(server.client, 'podman_info');
      assert.equal(info.isError, undefined, textOf(info));
      assert.deepEqual(info.structuredContent!.socket, {
        endpoint: `unix://${podman.socketPath}`,
        source: 'CONTAINER_HOST',
        embedded: false,
      });
      assert.match(textOf(info), /\(CONTAINER_HOST\)/);
      assert.equal((await call(server.client, 'podman_ps', { all: true })).isError, undefined);
    } finally {
      await server.close();
    }
  });

  it('uses --url ahead of CONTAINER_HOST', async () => {
    const server = await connectStdio(
      ['--url', `unix://${podman.socketPath}`, '--no-embedded', '--log-level', 'warn'],
      {
        CONTAINER_HOST: `unix://${join(podman.dir, 'missing.sock')}`,
      },
    );
    try {
      const info = await call(server.client, 'podman_info');
      assert.equal(info.isError, undefined, textOf(info));
      assert.equal(info.structuredContent!.socket.source, '--url');
      assert.equal(info.structuredContent!.socket.endpoint, `unix://${podman.socketPath}`);
    } finally {
      await server.close();
    }
  });

  it('answers every Podman tool with PODMAN_NOT_CONNECTED and a fix when nothing answers', async () => {
    const missing = join(podman.dir, 'missing.sock');
    const composeFile = join(podman.dir, 'compose.yaml');
    await writeFile(composeFile, 'services:\n  web:\n    image: localhost/mcpp-absent:1\n');
    const kube =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: mcpp-absent\nspec:\n  containers:\n    - name: c\n      image: localhost/mcpp-absent:1\n';
    // Rules a JSON Schema cannot state ("exactly one of"), which generated arguments cannot meet.
    const beyondSchema: Record<string, Record<string, unknown>> = {
      podman_secret_create: { value: 'not-a-real-secret' },
      podman_kube_play: { yaml: kube },
      podman_kube_down: { yaml: kube },
      podman_compose_up: { file: composeFile },
      podman_compose_down: { file: composeFile },
      podman_compose_ps: { project_name: 'mcpp-absent' },
    };
    // The compose file is read only under the bind roots, before Podman is asked.
    const server = await connectStdio([
      ...['--socket-path', missing, '--no-embedded', '--log-level', 'error'],
      ...['--bind-roots', podman.dir],
    ]);
    try {
      const { tools } = await server.client.listTools();
      const podmanTools = tools.filter((t) => t.name.startsWith('podman_'));
      assert.ok(podmanTools.length >= 10);
      for (const tool of podmanTools) {
        const args = {
          ...requiredArgs(tool.inputSchema as JsonSchema, 'mcpp-absent'),
          ...beyondSchema[tool.name],
        };
        const error = errorOf(await call(server.client, tool.name, args));
        assert.equal(
          error.code,
          'PODMAN_NOT_CONNECTED',
          `${tool.name}(${JSON.stringify(args)}): ${error.message}`,
        );
        assert.ok(error.message.includes(`--socket-path unix://${missing}: no such socket`), error.message);
        assert.match(error.message, /Fix: .*podman system service/);
        assert.match(error.message, /--socket-path \/path\/podman\.sock or CONTAINER_HOST=/);
      }
      // The gateway's own tools (catalog, mounts) work from local state; none may fail unexpectedly.
      for (const tool of tools.filter((t) => !t.name.startsWith('podman_'))) {
        const result = await call(
          server.client,
          tool.name,
          requiredArgs(tool.inputSchema as JsonSchema, 'mcpp-absent'),
        );
        if (result.isError) assert.notEqual(errorOf(result).code, 'INTERNAL_ERROR', tool.name);
      }
    } finally {
      await server.close();
    }
  });

  it('lists every place it looked when discovery finds nothing', async (t) => {
    if (rootful) return t.skip(`a rootful Podman answers at ${ROOTFUL_SOCKET}, so discovery finds it`);
    const server = await connectStdio(['--no-embedded', '--log-level', 'error'], {
      CONTAINER_HOST: 'tcp://127.0.0.1:1',
      XDG_RUNTIME_DIR: join(podman.dir, 'runtime'),
    });
    try {
      const error = errorOf(await call(server.client, 'podman_info'));
      assert.equal(error.code, 'PODMAN_NOT_CONNECTED');
      assert.deepEqual(error.details.tried, [
        'CONTAINER_HOST http://127.0.0.1:1: ECONNREFUSED',
        `rootful socket unix://${ROOTFUL_SOCKET}: no such socket`,
        `rootless socket unix://${join(podman.dir, 'runtime', 'podman', 'podman.sock')}: no such socket`,
      ]);
      assert.match(error.message, /systemctl --user enable --now podman\.socket/);
    } finally {
      await server.close();
    }
  });

  for (const stop of ['stdin close', 'SIGTERM'] as const) {
    it(`starts an embedded podman system service when none answers, and stops it on ${stop}`, async () => {
      const child = spawn(process.execPath, [CLI, 'serve', '--log-level', 'info'], {
        env: {
          PATH: `${wrapperDir}${delimiter}${process.env.PATH ?? ''}`,
          HOME: process.env.HOME ?? '/root',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const client = new Client({ name: 'mcp-podman-test', version: '1.0.0' });
      try {
        // The SDK's stdio framing over the child's pipes: this test, not the SDK, decides how it ends.
        await client.connect(new StdioServerTransport(child.stdout!, child.stdin!));
        const info = await call(client, 'podman_info');
        assert.equal(info.isError, undefined, textOf(info));
        if (rootful) {
          assert.equal(info.structuredContent!.socket.source, 'rootful socket');
          return;
        }
        const started = logLine(stderr, 'started embedded podman system service');
        assert.ok(started, `no embedded start logged: ${stderr}`);
        const { pid, socketPath } = started as { pid: number; socketPath: string };
        assert.deepEqual(info.structuredContent!.socket, {
          endpoint: `unix://${socketPath}`,
          source: 'embedded service',
          embedded: true,
        });
        assert.equal(info.structuredContent!.storage.graphRoot, join(STORE, 'root'), 'the wrapper ran it');
        assert.match(textOf(info), /started by mcp-podman/);
        assert.equal((await call(client, 'podman_ps', { all: true })).isError, undefined);
        assert.ok(isAlive(pid) && existsSync(socketPath));

        if (stop === 'stdin close') child.stdin!.end();
        else child.kill('SIGTERM');
        assert.equal(await exited(child, 20_000), 0, stderr);
        assert.equal(isAlive(pid), false, 'the embedded service outlived mcp-podman');
        assert.equal(existsSync(dirname(socketPath)), false, 'its temp dir was left behind');
      } finally {
        await client.close();
        if (child.exitCode === null) {
          child.kill('SIGKILL');
          await exited(child, 5000);
        }
      }
    });
  }

  it('leaves no embedded service behind when the transport cannot start', async (t) => {
    if (rootful) return t.skip(`a rootful Podman answers at ${ROOTFUL_SOCKET}, so nothing embedded starts`);
    const env = {
      PATH: `${wrapperDir}${delimiter}${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/root',
    };
    const holder = await startHttpServer(['--socket-path', podman.socketPath]);
    try {
      const before = new Set(await embeddedServices());
      const port = new URL(holder.url).port;
      const child = spawn(process.execPath, [CLI, 'serve', '--transport', 'http', '--port', port], {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      assert.notEqual(await exited(child, 20_000), 0);
      assert.match(stderr, /CONFLICT: Port \d+ on 127\.0\.0\.1 is already in use/);
      // A service spawned after the failure would show up within its start-up time.
      await new Promise((r) => setTimeout(r, 1500));
      const orphans = (await embeddedServices()).filter((pid) => !before.has(pid));
      for (const pid of orphans) process.kill(pid, 'SIGKILL');
      assert.deepEqual(orphans, [], 'an embedded podman service outlived a failed start');
    } finally {
      await holder.stop();
    }
  });
});
