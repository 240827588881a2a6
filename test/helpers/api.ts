import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';

export interface ApiReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** One HTTP request with any headers, Host included (fetch would not let a test set Host). */
export function http(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A JSON API call: the body is serialized, the answer parsed. */
export function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return http(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * api() and http() that send the server's bearer token, as a configured client would. `auth` is read
 * at each call, so a suite can build these before its server (and its token) exists.
 */
export function withAuth(auth: () => Record<string, string>): {
  api: typeof api;
  http: typeof http;
  fetch: typeof fetch;
} {
  return {
    api: (base, method, path, body, headers = {}) => api(base, method, path, body, { ...auth(), ...headers }),
    http: (url, options = {}) => http(url, { ...options, headers: { ...auth(), ...options.headers } }),
    fetch: (input, init = {}) =>
      fetch(input, { ...init, headers: { ...auth(), ...(init.headers as Record<string, string>) } }),
  };
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** The body of a page once it answers 2xx (a server just started may not listen yet). */
export function pageOnceUp(url: string, timeoutMs = 20_000): Promise<string> {
  return waitFor(
    `${url} to answer`,
    () =>
      fetch(url, { signal: AbortSignal.timeout(2000) })
        .then((res) => (res.ok ? res.text() : undefined))
        .catch(() => undefined),
    timeoutMs,
  );
}

/**
 * Templates for the tests in the documented format: a busybox httpd whose index names its replica
 * (rewritten on every start, so a restart repairs a deleted index), and the reference MCP server
 * over Streamable HTTP.
 */
export async function writeTemplates(
  dir: string,
  images: { busybox: string; everything: string },
): Promise<string> {
  const folder = join(dir, 'templates');
  await mkdir(folder, { recursive: true });
  const web = {
    name: 'web',
    description: 'busybox httpd',
    image: images.busybox,
    default_config: {
      port: 8080,
      health_check_path: '/index.html',
      restart_policy: 'no',
      memory_limit: '64m',
      cpu_limit: '0.5',
      labels: { team: 'tests' },
      command: [
        'sh',
        '-c',
        'echo "replica-$MCP_PODMAN_REPLICA" > /var/www/index.html && echo "started replica-$MCP_PODMAN_REPLICA" && exec httpd -f -p 8080 -h /var/www',
      ],
    },
    capabilities: ['http'],
  };
  const needsKey = { ...web, name: 'needs-key', required_env_vars: ['API_KEY'] };
  const evhttp = {
    name: 'evhttp',
    description: 'reference MCP server over Streamable HTTP',
    image: images.everything,
    default_config: { port: 3001, args: ['streamableHttp'], restart_policy: 'no' },
    capabilities: ['mcp', 'tools'],
  };
  await writeFile(join(folder, 'web.json'), JSON.stringify(web));
  await writeFile(join(folder, 'more.json'), JSON.stringify({ templates: [needsKey, evhttp] }));
  return folder;
}
