import { ERROR_CODES, type ErrorCode, McpPodmanError } from '../errors.js';
import { isLoopback } from '../transport/guards.js';
import { readTokenFile } from '../transport/token-file.js';
import { SERVER_NAME } from '../version.js';

export const DEFAULT_INSTANCE_URL = 'http://127.0.0.1:8913';

/** The management API of a running `mcp-podman serve --transport http`, as the CLI uses it. */
export class ManagementClient {
  readonly url: string;
  private readonly token: Promise<string | undefined>;

  constructor(options: { url: string; token?: string }) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token ? Promise.resolve(options.token) : generatedTokenOf(this.url);
  }

  /**
   * Whether an mcp-podman instance answers here. /health is open and names the server; a 503 still
   * means the instance runs (only its Podman is down), so its API is the one to use.
   */
  async answers(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(3000) });
      const body = (await res.json()) as { server_name?: string };
      return body.server_name === SERVER_NAME;
    } catch {
      return false;
    }
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, { body });
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  /** A request whose body is read by the caller (an event stream). */
  async send(
    method: string,
    path: string,
    options: { body?: unknown; signal?: AbortSignal } = {},
  ): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          ...(await this.authorization()),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (err) {
      throw new McpPodmanError(
        'UNAVAILABLE',
        `The mcp-podman instance at ${this.url} did not answer: ${(err as Error).message}. Check --url (or MCP_PODMAN_URL).`,
        { cause: err },
      );
    }
    if (res.ok) return res;
    throw await apiError(res, this.url);
  }

  private async authorization(): Promise<Record<string, string>> {
    const token = await this.token;
    return token ? { authorization: `Bearer ${token}` } : {};
  }
}

/**
 * With no token given, a local instance's generated one: it sits in an owner-only file named by the
 * port, so this finds it exactly when the CLI runs as the user who started the server. A remote URL
 * never gets it.
 */
async function generatedTokenOf(url: string): Promise<string | undefined> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' || !isLoopback(parsed.hostname.replace(/^\[|\]$/g, ''))) return undefined;
  return readTokenFile(Number(parsed.port || 80));
}

async function apiError(res: Response, url: string): Promise<McpPodmanError> {
  const text = await res.text().catch(() => '');
  let error: { code?: string; message?: string } = {};
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
  } catch {
    // not our JSON error shape: described by status below
  }
  if (res.status === 401) {
    return new McpPodmanError(
      'UNAUTHORIZED',
      `The instance at ${url} wants a bearer token: pass --token or set MCP_PODMAN_AUTH_TOKEN (a local instance's generated token is read from its token file, when this user started it).`,
    );
  }
  const code: ErrorCode = ERROR_CODES.includes(error.code as ErrorCode)
    ? (error.code as ErrorCode)
    : 'UPSTREAM_ERROR';
  return new McpPodmanError(code, error.message ?? `The instance at ${url} answered HTTP ${res.status}.`, {
    details: { status: res.status },
  });
}
