/**
 * ${VAR} interpolation and .env/env_file parsing, following the compose specification's rules:
 * $$ is a literal $, ${VAR:-default} / ${VAR-default}, ${VAR:?error} / ${VAR?error}, ${VAR:+alt} /
 * ${VAR+alt}, and bare $VAR. An unset variable without a default becomes "" and is reported.
 */

export type Variables = Record<string, string | undefined>;

export interface InterpolationResult {
  /** Variables that were used but unset (each once). */
  unset: Set<string>;
  /** `${VAR:?message}` failures and syntax errors, with the path of the value. */
  errors: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Interpolates every string value in a parsed compose document (keys are left as they are). */
export function interpolateTree(
  node: unknown,
  vars: Variables,
  path: string,
  out: InterpolationResult,
): unknown {
  if (typeof node === 'string') return interpolate(node, vars, path, out);
  if (Array.isArray(node)) return node.map((v, i) => interpolateTree(v, vars, `${path}[${i}]`, out));
  if (node && typeof node === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      result[key] = interpolateTree(value, vars, path ? `${path}.${key}` : key, out);
    }
    return result;
  }
  return node;
}

export function interpolate(text: string, vars: Variables, path: string, out: InterpolationResult): string {
  let result = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '$') {
      result += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      result += '$';
      i += 2;
    } else if (next === '{') {
      const end = closingBrace(text, i + 2);
      if (end < 0) {
        out.errors.push(`${path}: unclosed "\${" in "${text}"`);
        return text;
      }
      result += expand(text.slice(i + 2, end), vars, path, out);
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(i + 1))?.[0];
      if (!name) {
        result += '$';
        i++;
        continue;
      }
      result += lookup(name, vars, out);
      i += 1 + name.length;
    }
  }
  return result;
}

/** Index of the "}" closing a "${" whose body starts at `from`, allowing nested ${...} in defaults. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function expand(body: string, vars: Variables, path: string, out: InterpolationResult): string {
  const name = NAME.exec(body)?.[0];
  if (!name) {
    out.errors.push(`${path}: invalid interpolation "\${${body}}"`);
    return '';
  }
  const rest = body.slice(name.length);
  if (rest === '') return lookup(name, vars, out);
  const m = /^(:?)([-?+])([\s\S]*)$/.exec(rest);
  if (!m) {
    out.errors.push(`${path}: invalid interpolation "\${${body}}"`);
    return '';
  }
  const [, colon, op, arg = ''] = m;
  const value = vars[name];
  // With ":" an empty value counts as unset, as in the shell.
  const isSet = colon ? value !== undefined && value !== '' : value !== undefined;
  switch (op) {
    case '-':
      return isSet ? (value as string) : interpolate(arg, vars, path, out);
    case '+':
      return isSet ? interpolate(arg, vars, path, out) : '';
    default:
      if (isSet) return value as string;
      out.errors.push(
        `${path}: required variable ${name} is not set${arg ? `: ${interpolate(arg, vars, path, out)}` : ''}`,
      );
      return '';
  }
}

function lookup(name: string, vars: Variables, out: InterpolationResult): string {
  const value = vars[name];
  if (value === undefined) {
    out.unset.add(name);
    return '';
  }
  return value;
}

/**
 * Parses a .env or env_file: KEY=VALUE lines, `export` prefixes, # comments, single quotes
 * (literal) and double quotes (with \n, \t, \" and \\ escapes). A bare KEY is skipped.
 */
export function parseEnvFile(text: string): { values: Record<string, string>; errors: string[] } {
  const values: Record<string, string> = Object.create(null);
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim().replace(/^export\s+/, '');
    if (!line || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq < 0) return;
    const key = line.slice(0, eq).trim();
    if (!NAME.test(key) || NAME.exec(key)?.[0] !== key) {
      errors.push(`line ${index + 1}: "${key}" is not a variable name`);
      return;
    }
    values[key] = envValue(line.slice(eq + 1).trim());
  });
  return { values, errors };
}

function envValue(raw: string): string {
  const quote = raw[0];
  if ((quote === '"' || quote === "'") && raw.lastIndexOf(quote) > 0) {
    const inner = raw.slice(1, raw.lastIndexOf(quote));
    if (quote === "'") return inner;
    return inner.replace(/\\([nt"\\])/g, (_, c: string) => ({ n: '\n', t: '\t' })[c] ?? c);
  }
  // An unquoted value ends at " #" (an inline comment).
  const comment = raw.search(/\s#/);
  return (comment >= 0 ? raw.slice(0, comment) : raw).trim();
}
