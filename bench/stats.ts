/** Latency figures of one contender, in milliseconds. */
export interface Summary {
  name: string;
  calls: number;
  p50: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export function summarize(name: string, samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    name,
    calls: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    mean: round(sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1)),
    min: round(sorted[0] ?? Number.NaN),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}

/** A Markdown table with p50/p95 and their ratios to the baseline row. */
export function markdownTable(rows: Summary[], baseline: Summary, what: string): string {
  const lines = [`| ${what} | p50 ms | p95 ms | p50 vs raw | p95 vs raw |`, '|---|---:|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${(r.p50 / baseline.p50).toFixed(2)}x | ${(r.p95 / baseline.p95).toFixed(2)}x |`,
    );
  }
  return lines.join('\n');
}

/** mulberry32: a small seeded generator, so a run's call order can be reproduced. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates on a copy. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
