import type { Duplex, Readable } from 'node:stream';
import { type Dispatcher, Pool } from 'undici';
import { type ErrorCode, isAbortError, McpPodmanError } from '../errors.js';

/** Every call goes to the libpod API under this version prefix; Podman accepts any prefix >= 4.0.0. */
export const API_PREFIX = '/v4.0.0';

export type PodmanEndpoint = { kind: 'unix'; socketPath: string } | { kind: 'tcp'; url: string };

export type QueryValue = string | number | boolean | undefined | null | string[] | Record<string, unknown>;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** Serialized as JSON unless it is a string, Buffer or stream. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** What a 404 means for this call: the caller knows whether it looked for a container, an image... */
  notFound?: { code: ErrorCode; message: string };
  /** What a 409 means for this call. */
  conflict?: { message: string };
  /** Statuses that are not errors for this call (libpod answers 304 to "start" on a running container). */
  okStatuses?: number[];
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & Dispatcher.ResponseData['body'];
}

export function describeEndpoint(endpoint: PodmanEndpoint): string {
  return endpoint.kind === 'unix' ? `unix://${endpoint.socketPath}` : endpoint.url;
}

/**
 * A thin client for Podman's REST API. It keeps a small pool of keep-alive connections, so a tool
 * call costs one request on an open socket. Errors come back as coded McpPodmanErrors.
 */
export class PodmanClient {
  readonly endpoint: PodmanEndpoint;
  private readonly pool: Pool;

  constructor(endpoint: PodmanEndpoint, options: { connections?: number } = {}) {
    this.endpoint = endpoint;
    const connections = options.connections ?? 16;
    this.pool =
      endpoint.kind === 'unix'
        ? new Pool('http://d', { socketPath: endpoint.socketPath, connections, pipelining: 1 })
        : new Pool(endpoint.url.replace(/^tcp:/, 'http:'), { connections, pipelining: 1 });
  }

  /** Sends a request and returns the response with its body unread. Statuses >= 400 throw. */
  async request(
    method: Dispatcher.HttpMethod,
    path: string,
    options: RequestOptions = {},
  ): Promise<RawResponse> {
    const { body, contentType } = encodeBody(options.body);
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool.request({
        method,
        path: API_PREFIX + path + encodeQuery(options.query),
        headers: { ...(contentType ? { 'content-type': contentType } : {}), ...options.headers },
        body,
        signal: options.signal,
        // Streams such as events send no headers until something happens, and a follow of logs or a
        // build can be silent for long: the caller's AbortSignal bounds the call, not a socket timer.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
    } catch (err) {
      throw connectionError(err, this.endpoint);
    }
    const ok = res.statusCode < 400 || options.okStatuses?.includes(res.statusCode);
    if (!ok) throw await responseError(res, options);
    return { status: res.statusCode, headers: res.headers, body: res.body as RawResponse['body'] };
  }

  /** Sends a request and parses a JSON answer (or returns undefined for an empty one). */
  async json<T = unknown>(
    method: Dispatcher.HttpMethod,
    path: string,
    options: RequestOptions = {},
  ): Promise<T> {
    const res = await this.request(method, path, options);
    const text = await readBody(res.body, options.signal);
    if (text.length === 0) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new McpPodmanError(
        'PODMAN_ERROR',
        `Podman sent a reply that is not JSON for ${method} ${path}.`,
        {
          cause: err,
          details: { body: text.slice(0, 500) },
        },
      );
    }
  }

  /** Sends a request whose answer does not matter beyond its status. */
  async call(method: Dispatcher.HttpMethod, path: string, options: RequestOptions = {}): Promise<number> {
    const res = await this.request(method, path, options);
    await res.body.dump({ limit: 1 << 20 }).catch(() => undefined);
    return res.status;
  }

  /**
   * Opens a hijacked connection (attach, exec with stdin): Podman answers 101 and the socket then
   * carries raw stdin one way and multiplexed stdout/stderr frames the other.
   */
  async upgrade(
    path: string,
    options: Pick<RequestOptions, 'query' | 'signal' | 'notFound'> = {},
  ): Promise<Duplex> {
    try {
      const res = await this.pool.upgrade({
        method: 'POST',
        path: API_PREFIX + path + encodeQuery(options.query),
        protocol: 'tcp',
        signal: options.signal,
      });
      return res.socket;
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404 && options.notFound)
        throw new McpPodmanError(options.notFound.code, options.notFound.message, { cause: err });
      if (status)
        throw new McpPodmanError('PODMAN_ERROR', `Podman refused to attach (${status}).`, { cause: err });
      throw connectionError(err, this.endpoint);
    }
  }

  async ping(signal?: AbortSignal): Promise<string> {
    const res = await this.request('GET', '/libpod/_ping', { signal });
    await res.body.dump();
    const version = res.headers['libpod-api-version'];
    return typeof version === 'string' ? version : 'unknown';
  }

  async close(): Promise<void> {
    await this.pool.destroy().catch(() => undefined);
  }
}

function encodeQuery(query: RequestOptions['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else if (typeof value === 'object') params.set(key, JSON.stringify(value));
    else params.set(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function encodeBody(body: unknown): { body?: Dispatcher.DispatchOptions['body']; contentType?: string } {
  if (body === undefined) return {};
  if (typeof body === 'string' || Buffer.isBuffer(body)) return { body };
  if (body && typeof (body as Readable).pipe === 'function') {
    return { body: body as Readable, contentType: 'application/x-tar' };
  }
  return { body: JSON.stringify(body), contentType: 'application/json' };
}

const MAX_ERROR_BODY = 64 * 1024;

async function readBody(body: RawResponse['body'], signal?: AbortSignal): Promise<string> {
  try {
    return await body.text();
  } catch (err) {
    if (signal?.aborted || isAbortError(err))
      throw new McpPodmanError('CANCELLED', 'The request was cancelled.');
    throw new McpPodmanError('PODMAN_ERROR', 'The connection to Podman broke while reading its reply.', {
      cause: err,
    });
  }
}

async function responseError(res: Dispatcher.ResponseData, options: RequestOptions): Promise<McpPodmanError> {
  let text = '';
  try {
    for await (const chunk of res.body) {
      text += chunk.toString();
      if (text.length > MAX_ERROR_BODY) break;
    }
  } catch {
    // The status is enough to classify the error.
  }
  res.body.destroy();
  let podmanMessage = text.trim();
  try {
    const parsed = JSON.parse(text) as { message?: string; cause?: string };
    if (parsed.message) podmanMessage = parsed.message;
  } catch {
    // Not JSON: keep the text as it is.
  }
  const details = { status: res.statusCode, podman: podmanMessage.slice(0, 2000) };
  const status = classify(res.statusCode, podmanMessage);
  if (status === 404 && options.notFound) {
    return new McpPodmanError(options.notFound.code, options.notFound.message, { details });
  }
  if (status === 409) {
    const message = options.conflict?.message ?? `Podman refused because of a conflict: ${podmanMessage}`;
    return new McpPodmanError('CONFLICT', message, { details });
  }
  if (status === 404) {
    return new McpPodmanError('NOT_FOUND', `Podman found nothing: ${podmanMessage}`, { details });
  }
  if (res.statusCode === 400) {
    return new McpPodmanError('INVALID_PARAMS', `Podman rejected the request: ${podmanMessage}`, { details });
  }
  return new McpPodmanError('PODMAN_ERROR', `Podman failed: ${podmanMessage}`, { details });
}

/**
 * Podman 4 answers several conflicts and misses with a bare 500; its message tells them apart.
 * Reading the message here keeps every caller's error mapping status-based.
 */
function classify(status: number, message: string): number {
  if (status !== 500) return status;
  if (
    /already in use|already exists|already used|already connected|is not connected|name in use|as it is (running|paused)|container state improper|is in use|in use by|is being used|has dependent containers|is not running/i.test(
      message,
    )
  ) {
    return 409;
  }
  if (
    /no such (container|image|pod|volume|network|secret|exec session)|no container with name or id|image not known|tag .* not known|no pod with name or id|unable to find network/i.test(
      message,
    )
  ) {
    return 404;
  }
  return status;
}

function connectionError(err: unknown, endpoint: PodmanEndpoint): McpPodmanError {
  if (isAbortError(err)) return new McpPodmanError('CANCELLED', 'The request was cancelled.', { cause: err });
  const code = (err as { code?: string }).code;
  const where = describeEndpoint(endpoint);
  return new McpPodmanError(
    'PODMAN_NOT_CONNECTED',
    `Cannot reach Podman at ${where} (${code ?? (err as Error).message}). Start the service with ` +
      '`podman system service --time=0` (or `systemctl --user start podman.socket`), or point ' +
      'mcp-podman at a running socket with --socket-path or CONTAINER_HOST.',
    { cause: err, details: { endpoint: where } },
  );
}
