import { jsonError } from '../transport/guards.js';
import { readCappedBytes } from '../transport/http.js';

/** Headers that belong to one hop, plus the caller's credentials for us, which a service must not see. */
const DROP_REQUEST = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'content-length',
  'authorization',
  'accept-encoding',
  // Set by us below; a client's own values would let it claim any address to the service.
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'forwarded',
]);
// fetch decodes compressed bodies, so the length and encoding upstream sent no longer apply.
const DROP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-encoding',
  'content-length',
]);

export const PROXY_MAX_BODY = 4 * 1024 * 1024;

/**
 * Forwards a request to a replica on its loopback port, streaming the answer back (an SSE stream
 * of an MCP server stays a stream). The request body is read with a cap first.
 */
export async function forward(
  req: Request,
  port: number,
  pathAndQuery: string,
  options: { apiOrigin?: boolean } = {},
): Promise<Response> {
  const headers = new Headers();
  req.headers.forEach((value, key) => {
    if (!DROP_REQUEST.has(key) && !(options.apiOrigin && key === 'cookie')) headers.set(key, value);
  });
  const url = new URL(req.url);
  headers.set('x-forwarded-host', req.headers.get('host') ?? url.host);
  headers.set('x-forwarded-proto', url.protocol.replace(':', ''));
  let body: ArrayBuffer | undefined;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    if (Number(req.headers.get('content-length') ?? 0) > PROXY_MAX_BODY) return tooLarge();
    const bytes = await readCappedBytes(req, PROXY_MAX_BODY);
    if (bytes === undefined) return tooLarge();
    body = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  let upstream: Response;
  try {
    upstream = await fetch(`http://127.0.0.1:${port}${pathAndQuery}`, {
      method: req.method,
      headers,
      body,
      redirect: 'manual',
      signal: req.signal,
    });
  } catch {
    return jsonError(
      'UPSTREAM_ERROR',
      'The service replica did not answer. Try again; GET /containers/{name}/status shows its health.',
    );
  }
  const out = new Headers();
  upstream.headers.forEach((value, key) => {
    if (DROP_RESPONSE.has(key)) return;
    // Served on the API's own origin (/servers/...): a service must not set cookies or CORS there.
    if (options.apiOrigin && (key === 'set-cookie' || key.startsWith('access-control-'))) return;
    out.append(key, value);
  });
  if (options.apiOrigin) {
    // Whatever a service answers, it cannot run as script with the API's origin.
    out.set('content-security-policy', 'sandbox');
    out.set('x-content-type-options', 'nosniff');
  }
  return new Response(upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: out,
  });
}

function tooLarge(): Response {
  const res = jsonError('INVALID_PARAMS', `Request body too large (limit ${PROXY_MAX_BODY} bytes).`);
  return new Response(res.body, {
    status: 413,
    headers: { 'content-type': 'application/json', connection: 'close' },
  });
}
