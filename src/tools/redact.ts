/**
 * Redaction of secrets in what tools return. Two mechanisms:
 * - environment values whose names look secret (or that came from a Podman secret) are masked in
 *   inspect-like results, and the masked paths are listed so a user can see what was hidden; so is
 *   the user-info of a URL in any env value (postgres://user:password@host), whatever its name;
 * - every secret value this process has been handed (a secret's content, a credential) is
 *   remembered and scrubbed from any text leaving it: results, errors and logs.
 *
 * Structured results are scrubbed by walking them (every string and every object key), never by
 * rewriting their JSON text: in JSON a secret's newline or quote is escaped, so matching the text
 * misses it, and a remembered value made of JSON syntax would corrupt every later result.
 */
export const MASK = '********';

const SECRET_NAME_RE =
  /(PASSW(OR)?D|PASSPHRASE|TOKEN|SECRET|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|_KEY$|^KEY$|CREDENTIAL|AUTH|COOKIE|SESSION|DSN|CONN(ECTION)?_?STR)/i;

/**
 * "scheme://" then the user-info up to the last "@" before the host: a password may hold an
 * unescaped "@", and URL parsers take the last one as the end of the user-info.
 */
const URL_USERINFO_RE = /([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]+)@/gi;

export function looksSecret(name: string): boolean {
  return SECRET_NAME_RE.test(name);
}

/**
 * Masks the user-info of every URL in a value: the password when there is one (the user name
 * helps to tell connections apart), else the whole user-info, which is then often a token
 * (https://<token>@host). Returns undefined when the value holds none.
 */
export function maskUrlUserInfo(value: string): string | undefined {
  let found = false;
  const out = value.replace(URL_USERINFO_RE, (_, scheme: string, userInfo: string) => {
    found = true;
    const colon = userInfo.indexOf(':');
    return colon < 0 ? `${scheme}${MASK}@` : `${scheme}${userInfo.slice(0, colon)}:${MASK}@`;
  });
  return found ? out : undefined;
}

/** Applies a function to every string value in a JSON-like value, and another to every key. */
function mapStrings(value: unknown, map: (s: string) => string, mapKey = (k: string) => k): unknown {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return map(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      // What JSON.stringify would send for it (a Date, an error with toJSON), then walked.
      const toJSON = (v as { toJSON?: () => unknown }).toJSON;
      if (typeof toJSON === 'function') return walk(toJSON.call(v));
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [mapKey(k), walk(x)]));
    }
    return v;
  };
  return walk(value);
}

export class Redactor {
  private readonly values = new Set<string>();

  constructor(readonly enabled: boolean) {}

  /** Remembers a sensitive value so that it is scrubbed wherever it would appear. */
  remember(value: string | undefined): void {
    // Very short values would mask ordinary text everywhere; they are still never echoed by tools.
    if (value && value.length >= 4 && !this.values.has(value)) {
      this.values.add(value);
      this.sorted = undefined;
    }
  }

  /** Replaces every remembered secret value in a text. Always on: it is not a display preference. */
  scrub(text: string): string {
    let out = text;
    // Longest first: a shorter secret that is part of a longer one must not leave the rest in clear.
    for (const value of this.longestFirst()) if (out.includes(value)) out = out.split(value).join(MASK);
    return out;
  }

  private sorted?: string[];

  private longestFirst(): string[] {
    this.sorted ??= [...this.values].sort((a, b) => b.length - a.length);
    return this.sorted;
  }

  /** Scrubs remembered values from every string and key of a JSON-like value. */
  scrubDeep<T>(value: T): T {
    if (this.values.size === 0) return value;
    const scrub = (s: string) => this.scrub(s);
    return mapStrings(value, scrub, scrub) as T;
  }

  /**
   * The masked form of one env value, or undefined when it stays as it is: the whole value when
   * the name looks secret or is in `secretKeys`, else the user-info of any URL in it.
   */
  maskedEnvValue(key: string, value: string, secretKeys: Set<string> = new Set()): string | undefined {
    if (!this.enabled) return undefined;
    if (looksSecret(key) || secretKeys.has(key)) return MASK;
    return maskUrlUserInfo(value);
  }

  /**
   * Masks "KEY=VALUE" entries whose key looks secret or is in `secretKeys`, and URL user-info in
   * any value. Returns the new list and the keys that were masked. When redaction is off, the list
   * comes back as it was.
   */
  maskEnvList(
    env: string[] | undefined | null,
    secretKeys: Set<string> = new Set(),
  ): { env: string[]; masked: string[] } {
    const masked: string[] = [];
    const out = (env ?? []).map((entry) => {
      const i = entry.indexOf('=');
      if (i < 0) return entry;
      const key = entry.slice(0, i);
      const value = this.maskedEnvValue(key, entry.slice(i + 1), secretKeys);
      if (value === undefined) return entry;
      masked.push(key);
      return `${key}=${value}`;
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
    return mapStrings(value, (s) => values.reduce((out, secret) => out.split(secret).join(MASK), s)) as T;
  }

  maskEnvMap(
    env: Record<string, string> | undefined | null,
    secretKeys: Set<string> = new Set(),
  ): { env: Record<string, string>; masked: string[] } {
    const masked: string[] = [];
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(env ?? {})) {
      const maskedValue = this.maskedEnvValue(key, value, secretKeys);
      if (maskedValue !== undefined) masked.push(key);
      out[key] = maskedValue ?? value;
    }
    return { env: out, masked };
  }
}
