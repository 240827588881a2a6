/**
 * `npm run bench`: how long listing containers takes through mcp-podman, through a raw libpod call
 * and through the peer podman-mcp-server, side by side on one throwaway Podman. See README "Benchmark".
 */
import './store.js';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBusybox } from '../test/helpers/images.js';
import { CLI } from '../test/helpers/mcp.js';
import { startPodman } from '../test/helpers/podman.js';
import { type Contender, mcpPodman, peer, rawApi } from './contenders.js';
import { createSleepers, removeContainers } from './fixture.js';
import { markdownTable, type Summary, seededRandom, shuffled, summarize } from './stats.js';

const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url));

const { values: flags } = parseArgs({
  options: {
    calls: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    containers: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
  },
});
const count = (name: keyof typeof flags) => {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number`);
  return n;
};
const settings = {
  calls: count('calls'),
  warmup: count('warmup'),
  containers: count('containers'),
  seed: count('seed'),
};

/**
 * Round-robin: each round calls every contender once, in an order shuffled per round (seeded, so a
 * run can be repeated). Drift on the machine hits all of them alike, and no contender always runs
 * right after the same other one (the CLI backend's process churn would tax whoever follows it).
 */
async function measure(contenders: Contender[], stop: AbortSignal): Promise<Map<Contender, number[]>> {
  const check = (c: Contender, seen: number) => {
    if (seen !== settings.containers)
      throw new Error(`${c.name} listed ${seen} containers, expected ${settings.containers}`);
  };
  for (let i = 0; i < settings.warmup && !stop.aborted; i++)
    for (const c of contenders) check(c, await c.call());
  const samples = new Map(contenders.map((c) => [c, [] as number[]]));
  const random = seededRandom(settings.seed);
  for (let round = 0; round < settings.calls; round++) {
    if (stop.aborted) throw new Error('interrupted');
    for (const c of shuffled(contenders, random)) {
      const started = performance.now();
      const seen = await c.call();
      samples.get(c)!.push(performance.now() - started);
      check(c, seen);
    }
    if ((round + 1) % 50 === 0) process.stderr.write(`bench: ${round + 1}/${settings.calls} rounds\n`);
  }
  return samples;
}

type Figures = Summary & { id: Contender['id'] };

function report(figures: Figures[], podmanVersion: string): Record<string, unknown> {
  const of = (id: Contender['id']) => figures.find((f) => f.id === id)!;
  const raw = of('raw-api');
  const ours = of('mcp-podman');
  const peerApi = of('peer-api');
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  return {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      // An object, not an array: biome formats number arrays on one line and checks this file.
      loadAverage: Object.fromEntries(
        loadavg().map((l, i) => [['1m', '5m', '15m'][i], Math.round(l * 100) / 100]),
      ),
      node: process.version,
      podman: podmanVersion,
    },
    settings: { ...settings, order: 'round-robin, order shuffled each round (seeded)', transport: 'stdio' },
    results: figures.map((f) => ({ ...f, p50VsRaw: ratio(f.p50, raw.p50), p95VsRaw: ratio(f.p95, raw.p95) })),
    targets: {
      p50AtMost1_15xRaw: { ratio: ratio(ours.p50, raw.p50), met: ours.p50 <= raw.p50 * 1.15 },
      notSlowerThanPeerApi: { ratio: ratio(ours.p50, peerApi.p50), met: ours.p50 <= peerApi.p50 },
    },
  };
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first.`);
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  const podman = await startPodman();
  const contenders: Contender[] = [];
  let ids: string[] = [];
  try {
    ids = await createSleepers(podman.client, { image: await ensureBusybox(), count: settings.containers });
    const socket = podman.socketPath;
    // The raw call is the baseline every ratio is taken against; it heads the table.
    contenders.push(
      rawApi(socket),
      await mcpPodman(socket),
      await peer(socket, 'api'),
      await peer(socket, 'cli'),
    );
    const samples = await measure(contenders, stop.signal);
    const figures = contenders.map((c) => ({ id: c.id, ...summarize(c.name, samples.get(c)!) }));
    const { Version } = await podman.client.json<{ Version: string }>('GET', '/libpod/version');
    const result = report(figures, Version);
    await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(
      `${markdownTable(figures, figures.find((f) => f.id === 'raw-api')!, `Listing ${settings.containers} containers`)}\n\n` +
        `targets: ${JSON.stringify(result.targets)}\nwritten: ${RESULTS}\n`,
    );
  } finally {
    for (const c of contenders) await c.close().catch(() => undefined);
    const left = await removeContainers(podman.client, ids);
    await podman.stop();
    if (left.length) process.stderr.write(`bench: could not remove containers ${left.join(', ')}\n`);
  }
}

await main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
