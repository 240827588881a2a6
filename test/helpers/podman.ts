import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PodmanClient } from '../../src/podman/client.js';

const run = promisify(execFile);

/**
 * The tests' own Podman: a throwaway store (root, runroot, tmpdir, network config) that nothing
 * else on the machine uses, served by `podman system service` on a temporary socket. The store
 * persists between test files and runs so locally built images are built once; containers never do.
 */
export const STORE = process.env.MCP_PODMAN_TEST_STORE ?? join(tmpdir(), 'mcp-podman-test-store');

export function storeArgs(): string[] {
  for (const d of ['root', 'runroot', 'tmp', 'networks']) mkdirSync(join(STORE, d), { recursive: true });
  return [
    '--root',
    join(STORE, 'root'),
    '--runroot',
    join(STORE, 'runroot'),
    '--tmpdir',
    join(STORE, 'tmp'),
    '--network-config-dir',
    join(STORE, 'networks'),
  ];
}

/** Runs the podman CLI against the test store (fixture setup only; the product uses the REST API). */
export async function podmanCli(
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<string> {
  if (options.input !== undefined) {
    return new Promise((resolve, reject) => {
      const child = spawn('podman', [...storeArgs(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`podman ${args.join(' ')}: ${err}`)),
      );
      child.stdin.end(options.input);
    });
  }
  const { stdout } = await run('podman', [...storeArgs(), ...args], {
    maxBuffer: 64 << 20,
    timeout: options.timeoutMs ?? 300_000,
  });
  return stdout;
}

export interface TestPodman {
  socketPath: string;
  dir: string;
  client: PodmanClient;
  /** Removes every container and pod in the test store; returns how many were left behind. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

export async function startPodman(): Promise<TestPodman> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-podman-test-'));
  const socketPath = join(dir, 'podman.sock');
  const child: ChildProcess = spawn(
    'podman',
    [...storeArgs(), 'system', 'service', '--time=0', `unix://${socketPath}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 15_000;
  while (!existsSync(socketPath)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`podman system service did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const client = new PodmanClient({ kind: 'unix', socketPath });
  await client.ping();
  return {
    socketPath,
    dir,
    client,
    async sweep() {
      const containers = await client.json<{ Id: string }[]>('GET', '/libpod/containers/json', {
        query: { all: true },
      });
      const pods = await client.json<{ Id: string }[]>('GET', '/libpod/pods/json');
      for (const p of pods ?? [])
        await client
          .call('DELETE', `/libpod/pods/${p.Id}`, { query: { force: true, timeout: 0 } })
          .catch(() => undefined);
      for (const c of containers) {
        await client
          .call('DELETE', `/libpod/containers/${c.Id}`, { query: { force: true, v: true, timeout: 0 } })
          .catch(() => undefined);
      }
      // Volumes, networks and secrets are cleared too, so one file's leftovers cannot change the
      // next file's results; only containers and pods count as leaks (kube play makes a network).
      const volumes = await client.json<{ Name: string }[]>('GET', '/libpod/volumes/json');
      for (const v of volumes ?? [])
        await client
          .call('DELETE', `/libpod/volumes/${v.Name}`, { query: { force: true } })
          .catch(() => undefined);
      const networks = await client.json<{ name: string }[]>('GET', '/libpod/networks/json');
      for (const n of networks ?? []) {
        if (n.name !== 'podman')
          await client
            .call('DELETE', `/libpod/networks/${n.name}`, { query: { force: true } })
            .catch(() => undefined);
      }
      const secrets = await client.json<{ ID: string }[]>('GET', '/libpod/secrets/json');
      for (const sec of secrets ?? [])
        await client.call('DELETE', `/libpod/secrets/${sec.ID}`).catch(() => undefined);
      return containers.length + (pods?.length ?? 0);
    },
    async stop() {
      await client.close();
      // A service that already died (a Ctrl-C reaches the whole process group) sends no second 'exit'.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Lists containers in the test store (all states). */
export async function listContainers(
  client: PodmanClient,
): Promise<{ Id: string; Names: string[]; State: string; Labels: Record<string, string> | null }[]> {
  return client.json('GET', '/libpod/containers/json', { query: { all: true } });
}
