/**
 * `npm run bench:gateway`: the gateway's costs, side by side in one run on one throwaway Podman:
 * - activation: registry_add until tools are listed, against a bare `podman run -i` + initialize +
 *   tools/list of the same image (the baseline), and with a warm standby;
 * - a proxied tools/call against the same call made directly to a `podman run -i` server;
 * - removal time;
 * - 50 mounts active at once, with the gateway's resident memory.
 */
import './store.js';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ensureGatewayImages, writeTestCatalog } from '../test/helpers/gateway-fixtures.js';
import { CLI, call } from '../test/helpers/mcp.js';
import { startPodman, storeArgs } from '../test/helpers/podman.js';
import { type Summary, summarize } from './stats.js';

const RESULTS = fileURLToPath(new URL('./results/gateway.json', import.meta.url));
const { values: flags } = parseArgs({
  options: {
    activations: { type: 'string', default: '7' },
    calls: { type: 'string', default: '300' },
    mounts: { type: 'string', default: '50' },
  },
});
const settings = {
  activations: Number(flags.activations),
  calls: Number(flags.calls),
  mounts: Number(flags.mounts),
};

const images = await ensureGatewayImages();
const podman = await startPodman();
const dir = await mkdtemp(join(tmpdir(), 'mcp-podman-bench-gw-'));
const catalog = await writeTestCatalog(dir, images);
await writeFile(join(dir, 'config.yaml'), 'gateway:\n  idleTimeoutMs: 0\n  warm:\n    memory: 1\n');

async function connect(
  command: string,
  args: string[],
): Promise<{ client: Client; transport: StdioClientTransport }> {
  const transport = new StdioClientTransport({
    command,
    args,
    env: { PATH: process.env.PATH ?? '' },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** The baseline: what a user would do by hand. */
async function bareRun(): Promise<{ client: Client; ms: number }> {
  const started = performance.now();
  const { client } = await connect('podman', [
    ...storeArgs(),
    'run',
    '-i',
    '--rm',
    '--network',
    'none',
    images.everything,
    'stdio',
  ]);
  await client.listTools();
  return { client, ms: performance.now() - started };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

const median = (xs: number[]) => summarize('', xs).p50;
const results: Record<string, unknown> = { settings, date: new Date().toISOString() };

const gateway = await connect(process.execPath, [
  CLI,
  'serve',
  '--socket-path',
  podman.socketPath,
  '--catalog',
  catalog,
  '--no-builtin-catalog',
  '--config',
  join(dir, 'config.yaml'),
  '--gateway-id',
  'bench',
  '--log-level',
  'error',
]);
const gw = gateway.client;
try {
  // Activation, interleaved with the baseline so drift hits both alike.
  const bare: number[] = [];
  const activation: number[] = [];
  const removal: number[] = [];
  for (let i = 0; i < settings.activations; i++) {
    const b = await bareRun();
    bare.push(b.ms);
    await b.client.close();
    const started = performance.now();
    const add = await call(gw, 'registry_add', { entry_id: 'everything', prefix: 'act' });
    if (add.isError) throw new Error(JSON.stringify(add));
    activation.push(performance.now() - started);
    const t = performance.now();
    await call(gw, 'registry_remove', { prefix: 'act' });
    removal.push(performance.now() - t);
  }
  // Warm: the memory entry keeps one standby; wait until it is ready, then claim it.
  const warm: number[] = [];
  for (let i = 0; i < Math.min(5, settings.activations); i++) {
    for (;;) {
      const status = await call(gw, 'registry_status');
      if (status.structuredContent!.standby.some((s: { state: string }) => s.state === 'ready')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const started = performance.now();
    await call(gw, 'registry_add', { entry_id: 'memory', prefix: 'warm' });
    warm.push(performance.now() - started);
    await call(gw, 'registry_remove', { prefix: 'warm' });
  }
  results.activation = {
    bare: summarize('bare podman run -i + initialize + tools/list', bare),
    gateway: summarize('registry_add (cold)', activation),
    warm: summarize('registry_add (warm standby)', warm),
    ratio: median(activation) / median(bare),
  };
  results.removal = summarize('registry_remove', removal);

  // Proxied vs direct tools/call, interleaved.
  await call(gw, 'registry_add', { entry_id: 'everything', prefix: 'px' });
  const direct = await bareRun();
  const viaGateway: number[] = [];
  const directly: number[] = [];
  for (let i = 0; i < 30; i++) {
    await call(gw, 'px_echo', { message: 'warm' });
    await direct.client.callTool({ name: 'echo', arguments: { message: 'warm' } });
  }
  for (let i = 0; i < settings.calls; i++) {
    let t = performance.now();
    await call(gw, 'px_echo', { message: `m${i}` });
    viaGateway.push(performance.now() - t);
    t = performance.now();
    await direct.client.callTool({ name: 'echo', arguments: { message: `m${i}` } });
    directly.push(performance.now() - t);
  }
  await direct.client.close();
  await call(gw, 'registry_remove', { prefix: 'px' });
  const proxied = summarize('tools/call through the gateway', viaGateway);
  const upstream = summarize('tools/call direct to the server', directly);
  results.call = { proxied, direct: upstream, overheadP50Ms: proxied.p50 - upstream.p50 };

  // Many mounts at once.
  const started = performance.now();
  const prefixes = Array.from({ length: settings.mounts }, (_, i) => `m${i}`);
  for (let i = 0; i < prefixes.length; i += 5) {
    await Promise.all(
      prefixes.slice(i, i + 5).map(async (prefix) => {
        const r = await call(gw, 'registry_add', { entry_id: 'everything', prefix });
        if (r.isError) throw new Error(`${prefix}: ${JSON.stringify(r.structuredContent)}`);
      }),
    );
  }
  const addAllMs = performance.now() - started;
  const answers = await Promise.all(prefixes.map((p) => call(gw, `${p}_echo`, { message: p })));
  const allAnswer = answers.every((a, i) => !a.isError && JSON.stringify(a.content).includes(prefixes[i]!));
  results.mounts = {
    count: settings.mounts,
    allAnswer,
    addAllMs: Math.round(addAllMs),
    gatewayRssMb: Math.round(rssMb(gateway.transport.pid!)),
  };
} finally {
  await gateway.client.close();
  await new Promise((r) => setTimeout(r, 3000));
  const left = await podman.sweep();
  await podman.stop();
  await rm(dir, { recursive: true, force: true });
  results.leftover = left;
}

await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
const a = results.activation as { bare: Summary; gateway: Summary; warm: Summary; ratio: number };
const c = results.call as { proxied: Summary; direct: Summary; overheadP50Ms: number };
const m = results.mounts as { count: number; allAnswer: boolean; gatewayRssMb: number; addAllMs: number };
console.log(`| measure | p50 ms | p95 ms | target |
|---|---:|---:|---|
| bare podman run -i + initialize + tools/list | ${a.bare.p50.toFixed(0)} | ${a.bare.p95.toFixed(0)} | baseline |
| registry_add (cold) | ${a.gateway.p50.toFixed(0)} | ${a.gateway.p95.toFixed(0)} | <= 1.5x baseline: ${a.ratio.toFixed(2)}x |
| registry_add (warm standby) | ${a.warm.p50.toFixed(1)} | ${a.warm.p95.toFixed(1)} | <= 50 ms |
| tools/call direct | ${c.direct.p50.toFixed(2)} | ${c.direct.p95.toFixed(2)} | |
| tools/call through the gateway | ${c.proxied.p50.toFixed(2)} | ${c.proxied.p95.toFixed(2)} | overhead <= 1 ms p50: ${c.overheadP50Ms.toFixed(2)} ms |
| registry_remove | ${(results.removal as Summary).p50.toFixed(0)} | ${(results.removal as Summary).p95.toFixed(0)} | <= 500 ms |
| ${m.count} mounts | all answer: ${m.allAnswer} | added in ${(m.addAllMs / 1000).toFixed(1)} s | gateway RSS ${m.gatewayRssMb} MB (<= 150) |
(leftover containers after the run: ${results.leftover})`);
