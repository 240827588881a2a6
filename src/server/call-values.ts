import { Redactor } from '../tools/redact.js';

/** Argument names whose values a caller passes into a workload's environment or a file's variables. */
const ENV_ARGS = new Set(['env', 'environment', 'variables']);

/**
 * The values a call passed as environment or variables (`env: ["K=V"]`, `env: {K: V}`,
 * `variables: {K: V}`), at any depth of its arguments. A failed call's message can echo them (an
 * upstream that prints its environment before it dies, Podman quoting a spec), and the activity
 * log that records the message is read by every client of the management API.
 */
export function envValuesOf(args: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown, key?: string): void => {
    if (key !== undefined && ENV_ARGS.has(key)) out.push(...valuesOf(node));
    if (Array.isArray(node)) for (const item of node) walk(item);
    else if (node && typeof node === 'object')
      for (const [k, v] of Object.entries(node as Record<string, unknown>)) walk(v, k);
  };
  walk(args);
  return out;
}

function valuesOf(node: unknown): string[] {
  if (Array.isArray(node))
    return node.flatMap((e) =>
      typeof e === 'string' && e.includes('=') ? [e.slice(e.indexOf('=') + 1)] : [],
    );
  if (node && typeof node === 'object')
    return Object.values(node as Record<string, unknown>).filter((v): v is string => typeof v === 'string');
  return [];
}

/**
 * A message with each of `values` masked, by a redactor of its own: it already skips values too
 * short to mask safely and replaces the longest first.
 */
export function maskValues(message: string, values: string[]): string {
  const redactor = new Redactor(true);
  for (const value of values) redactor.remember(value);
  return redactor.scrub(message);
}
