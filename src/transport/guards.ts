import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Config } from '../config/schema.js';
import { type ErrorCode, httpStatusFor, McpPodmanError } from '../errors.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Refuses a configuration that would expose the server to the network without a token. */
export function assertSafeBind(config: Config): void {
  if (!isLoopback(config.host) && !config.authToken) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `Refusing to bind ${config.host} without authentication: anyone on the network could drive Podman. ` +
        'Set --auth-token (or MCP_PODMAN_AUTH_TOKEN), or bind 127.0.0.1.',
    );
  }
}

/** Host names (without port) this server answers to: loopback, the bind address and configured extras. */
export function allowedHostnames(config: Config): Set<string> {
  const hosts = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
  if (!['0.0.0.0', '::'].includes(config.host)) hosts.add(config.host.toLowerCase());
  for (const h of config.allowedHosts) hosts.add(h.toLowerCase());
  return hosts;
}

function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.split(':')[0] ?? '';
}

export function jsonError(code: ErrorCode, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status: httpStatusFor(code),
    headers: { 'content-type': 'application/json' },
  });
}

/**
 * DNS-rebinding protection: the Host header must name this server, and a browser Origin, when
 * present, must be a loopback origin or one the operator allowed.
 */
export function hostAndOriginGuard(
  config: Config,
  extraHost?: (hostname: string) => boolean,
): MiddlewareHandler {
  const hosts = allowedHostnames(config);
  const origins = new Set(config.allowedOrigins.map((o) => o.replace(/\/$/, '')));
  return async (c, next) => {
    const host = hostnameOf(c.req.header('host') ?? '');
    if (!hosts.has(host) && !extraHost?.(host)) {
      return jsonError(
        'FORBIDDEN',
        `Host "${c.req.header('host') ?? ''}" is not allowed. Add it with --allowed-hosts.`,
      );
    }
    const origin = c.req.header('origin');
    if (
      origin !== undefined &&
      !originAllowed(origin, c.req.header('host') ?? '', origins, Boolean(config.authToken))
    ) {
      return jsonError('FORBIDDEN', `Origin "${origin}" is not allowed. Add it with --allowed-origins.`);
    }
    await next();
  };
}

/**
 * The one route that also takes the token as `?access_token=`: the dashboard follows logs with
 * EventSource, which cannot send headers. Everywhere else a token in a URL is ignored.
 */
const QUERY_TOKEN_ROUTE = /^\/containers\/[^/]+\/logs$/;

/**
 * A browser origin may talk to this server only if it is this server: the same host and port as the
 * request's Host, or a loopback name on the same port. Any other page on this machine (another port,
 * a `*.localhost` service we proxy) is a different origin and is refused unless the operator allows it.
 * `*` allows every origin, but only where a token protects the server.
 */
export function originAllowed(
  origin: string,
  hostHeader: string,
  allowed: Set<string>,
  hasToken: boolean,
): boolean {
  if (allowed.has(origin.replace(/\/$/, ''))) return true;
  if (allowed.has('*')) return hasToken;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" and anything unparsable
  }
  const host = hostHeader.trim().toLowerCase();
  if (url.host.toLowerCase() === host) return true;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const hostPort = host.startsWith('[') ? host.slice(host.indexOf(']') + 2) : (host.split(':')[1] ?? '80');
  return isLoopback(url.hostname.replace(/^\[|\]$/g, '')) && port === hostPort;
}

/** Bearer-token check, in constant time. Without a configured token it lets everything through. */
export function bearerAuth(token: string | undefined): MiddlewareHandler {
  const expected = token ? Buffer.from(token) : undefined;
  return async (c, next) => {
    if (!expected) return next();
    const header = c.req.header('authorization') ?? '';
    let bearer = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!bearer && c.req.method === 'GET' && QUERY_TOKEN_ROUTE.test(c.req.path)) {
      bearer = c.req.query('access_token') ?? '';
    }
    const given = Buffer.from(bearer);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      const res = jsonError(
        'UNAUTHORIZED',
        'Missing or wrong bearer token. Send "Authorization: Bearer <token>".',
      );
      res.headers.set('www-authenticate', 'Bearer realm="mcp-podman"');
      return res;
    }
    await next();
  };
}

/** Checks a token given by other means (the WebSocket upgrade). */
export function tokenMatches(expected: string | undefined, header: string | undefined): boolean {
  if (!expected) return true;
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7).trim() : '');
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
}
