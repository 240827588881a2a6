/**
 * Readers for the value forms compose allows (a string or a list, a map or a list of KEY=VALUE,
 * Go durations). Each returns undefined and records a problem instead of throwing, so one call
 * can report every mistake in the file at once.
 */
export class Problems {
  readonly list: string[] = [];

  add(path: string, message: string): undefined {
    this.list.push(`${path}: ${message}`);
    return undefined;
  }
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return Boolean(v) && typeof v === 'object' && !Array.isArray(v);
}

export function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** A string, or a list of strings. */
export function stringList(v: unknown, path: string, problems: Problems): string[] | undefined {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => scalarText(x) !== undefined)) return v.map((x) => scalarText(x)!);
  return problems.add(path, 'must be a string or a list of strings');
}

/**
 * A map of KEY: value, or a list of "KEY=value" (a bare "KEY" maps to undefined, which callers
 * resolve: environment takes it from the variables, labels make it empty).
 */
export function keyValues(
  v: unknown,
  path: string,
  problems: Problems,
): Record<string, string | undefined> | undefined {
  if (v === undefined || v === null) return {};
  const out: Record<string, string | undefined> = Object.create(null);
  if (Array.isArray(v)) {
    for (const [i, entry] of v.entries()) {
      if (typeof entry !== 'string') return problems.add(`${path}[${i}]`, 'must be a "KEY=value" string');
      const eq = entry.indexOf('=');
      if (eq === 0) return problems.add(`${path}[${i}]`, 'has an empty key');
      if (eq < 0) out[entry] = undefined;
      else out[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return out;
  }
  if (!isMap(v)) return problems.add(path, 'must be a map or a list of "KEY=value"');
  for (const [key, value] of Object.entries(v)) {
    if (value === null) out[key] = undefined;
    else if (scalarText(value) !== undefined) out[key] = scalarText(value);
    else return problems.add(`${path}.${key}`, 'must be a string, number or boolean');
  }
  return out;
}

/** A command as compose gives it: a list, or a string split the way a POSIX shell splits words. */
export function commandLine(v: unknown, path: string, problems: Problems): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    if (v.every((x) => scalarText(x) !== undefined)) return v.map((x) => scalarText(x)!);
    return problems.add(path, 'must be a string or a list of strings');
  }
  if (typeof v !== 'string') return problems.add(path, 'must be a string or a list of strings');
  const words = shellWords(v);
  return words ?? problems.add(path, 'has an unclosed quote');
}

/** Splits like a shell without running one: quotes and backslashes, no expansion. */
export function shellWords(text: string): string[] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && '"\\$`'.includes(text[i + 1] ?? '')) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) return undefined;
  if (inWord) words.push(word);
  return words;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration such as "1m30s" or "500ms", in milliseconds. */
export function durationMs(v: unknown, path: string, problems: Problems): number | undefined {
  if (typeof v !== 'string' || !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) {
    return problems.add(path, 'must be a duration such as "500ms", "10s" or "1m30s"');
  }
  let total = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2]!] ?? 0);
  }
  return Math.round(total);
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A byte size as compose writes it: a number of bytes, or "64m", "1.5g", "512MB". */
export function byteSize(v: unknown, path: string, problems: Problems): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(scalarText(v) ?? '');
  const bytes = m ? Math.round(Number(m[1]) * (BYTE_UNITS[m[2]!.toLowerCase()] ?? 1)) : 0;
  if (typeof v === 'boolean' || bytes < 1) {
    return problems.add(path, 'must be a size such as 67108864, "64m" or "1g"');
  }
  return bytes;
}
