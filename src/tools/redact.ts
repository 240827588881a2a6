/**
 * Redaction of secrets in what tools return. Two mechanisms:
 * - environment values whose names look secret (or that came from a Podman secret) are masked in
 *   inspect-like results, and the masked paths are listed so a user can see what was hidden;
 * - every secret value this process has been handed (a secret's content, a credential) is
 *   remembered and scrubbed from any text leaving it: results, errors and logs.
 */
export const MASK = '********';

const SECRET_NAME_RE =
  /(PASSW(OR)?D|PASSPHRASE|TOKEN|SECRET|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|_KEY$|^KEY$|CREDENTIAL|AUTH|COOKIE|SESSION|DSN|CONN(ECTION)?_?STR)/i;

export function looksSecret(name: string): boolean {
  return SECRET_NAME_RE.test(name);
}

export class Redactor {
  private readonly values = new Set<string>();

  constructor(readonly enabled: boolean) {}

  /** Remembers a sensitive value so that it is scrubbed wherever it would appear. */
  remember(value: string | undefined): void {
    // Very short values would mask ordinary text everywhere; they are still never echoed by tools.
    if (value && value.length >= 4) this.values.add(value);
  }

  /** Replaces every remembered secret value in a text. Always on: it is not a display preference. */
  scrub(text: string): string {
    let out = text;
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join(MASK);
    return out;
  }

  /** Scrubs remembered values anywhere in a JSON-like value. */
  scrubDeep<T>(value: T): T {
    if (this.values.size === 0) return value;
    return JSON.parse(this.scrub(JSON.stringify(value))) as T;
  }

  /**
   * Masks "KEY=VALUE" entries whose key looks secret or is in `secretKeys`. Returns the new list and
   * the keys that were masked. When redaction is off, the list comes back as it was.
   */
  maskEnvList(
    env: string[] | undefined | null,
    secretKeys: Set<string> = new Set(),
  ): { env: string[]; masked: string[] } {
    const masked: string[] = [];
    const out = (env ?? []).map((entry) => {
      const i = entry.indexOf('=');
      const key = i < 0 ? entry : entry.slice(0, i);
      if (this.enabled && i >= 0 && (looksSecret(key) || secretKeys.has(key))) {
        masked.push(key);
        return `${key}=${MASK}`;
      }
      return entry;
    });
    return { env: out, masked };
  }

  /**
   * Masks the values of masked env entries wherever else they appear in one result: a container made
   * with the CLI keeps `-e KEY=VALUE` in Config.CreateCommand. Only inside strings, so that a short
   * value such as "true" cannot break the JSON around it; and only in this result, not process-wide.
   */
  maskValuesIn<T>(value: T, env: string[] | undefined | null, maskedKeys: string[]): T {
    const keys = new Set(maskedKeys);
    const values = (env ?? []).flatMap((entry) => {
      const i = entry.indexOf('=');
      return i >= 0 && keys.has(entry.slice(0, i)) && i + 1 < entry.length ? [entry.slice(i + 1)] : [];
    });
    if (values.length === 0) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return values.reduce((s, secret) => s.split(secret).join(MASK), v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object')
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(value) as T;
  }

  maskEnvMap(
    env: Record<string, string> | undefined | null,
    secretKeys: Set<string> = new Set(),
  ): { env: Record<string, string>; masked: string[] } {
    const masked: string[] = [];
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(env ?? {})) {
      if (this.enabled && (looksSecret(key) || secretKeys.has(key))) {
        masked.push(key);
        out[key] = MASK;
      } else out[key] = value;
    }
    return { env: out, masked };
  }
}
