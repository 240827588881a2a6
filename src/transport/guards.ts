import type { MiddlewareHandler } from 'hono';
import type { Config } from '../config/schema.js';
import { type ErrorCode, httpStatusFor, McpPodmanError } from '../errors.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Refuses a configuration that would expose the server to the network without a token the operator
 * chose: a generated token is for local clients (it sits in a local file), and --unsafe-no-auth is
 * for loopback only.
 */
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
  options: { hasToken: boolean; extraHost?: (hostname: string) => boolean },
): MiddlewareHandler {
  const { hasToken, extraHost } = options;
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
    if (origin !== undefined && !originAllowed(origin, c.req.header('host') ?? '', origins, hasToken)) {
      return jsonError('FORBIDDEN', `Origin "${origin}" is not allowed. Add it with --allowed-origins.`);
    }
    await next();
  };
}

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
