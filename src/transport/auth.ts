import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Config } from '../config/schema.js';
import { jsonError } from './guards.js';
import { removeTokenFile, writeTokenFile } from './token-file.js';

/**
 * The token an HTTP or WebSocket listener demands. There is always one, loopback included (any local
 * user can reach a loopback port, and a rootful Podman behind it is root), unless the operator ran
 * with --unsafe-no-auth.
 */
export interface ListenerAuth {
  /** undefined only under unsafeNoAuth. */
  readonly token: string | undefined;
  /** True when no token was configured and this one was made at start. */
  readonly generated: boolean;
}

/** The configured token, none under unsafeNoAuth, or else a fresh one (32 random bytes, base64url). */
export function resolveAuth(config: Config): ListenerAuth {
  if (config.unsafeNoAuth) return { token: undefined, generated: false };
  if (config.authToken) return { token: config.authToken, generated: false };
  return { token: randomBytes(32).toString('base64url'), generated: true };
}

/**
 * The one check every route uses (MCP, the management API, /servers/*, Host routing, /metrics, the
 * WebSocket upgrade): `authorization` is the "Bearer <token>" value, however the request carried it.
 * Constant-time, so the answer's timing tells nothing about the token.
 */
export function authenticate(auth: ListenerAuth, authorization: string | undefined): boolean {
  if (auth.token === undefined) return true;
  const given = Buffer.from(authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : '');
  const want = Buffer.from(auth.token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export function unauthorized(how = 'Send "Authorization: Bearer <token>".'): Response {
  const res = jsonError('UNAUTHORIZED', `Missing or wrong bearer token. ${how}`);
  res.headers.set('www-authenticate', 'Bearer realm="mcp-podman"');
  return res;
}

/**
 * The one route that also takes the token as `?access_token=`: the dashboard follows logs with
 * EventSource, which cannot send headers. Everywhere else a token in a URL is ignored.
 */
const QUERY_TOKEN_ROUTE = /^\/containers\/[^/]+\/logs$/;

/** authenticate() as Hono middleware: everything mounted after it needs the token. */
export function bearerAuth(auth: ListenerAuth): MiddlewareHandler {
  return async (c, next) => {
    let authorization = c.req.header('authorization');
    if (!authorization && c.req.method === 'GET' && QUERY_TOKEN_ROUTE.test(c.req.path)) {
      authorization = `Bearer ${c.req.query('access_token') ?? ''}`;
    }
    if (!authenticate(auth, authorization)) return unauthorized();
    await next();
  };
}

/**
 * Publishes a generated token for local clients in an owner-only file named by the port; returns
 * the file and the cleanup that removes it at shutdown. A configured token is the operator's to
 * hand out, so it is never written anywhere.
 */
export async function publishToken(
  auth: ListenerAuth,
  port: number,
): Promise<{ file?: string; remove(): Promise<void> }> {
  if (!auth.generated || auth.token === undefined) return { remove: async () => undefined };
  const token = auth.token;
  const file = await writeTokenFile(port, token);
  return { file, remove: () => removeTokenFile(file, token) };
}
