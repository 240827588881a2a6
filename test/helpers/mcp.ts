import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';

/** The built CLI: integration tests drive what users run. */
export const CLI = fileURLToPath(new URL('../../dist/cli/index.js', import.meta.url));

export interface StdioServer {
  client: Client;
  stderr: () => string;
  close(): Promise<void>;
}

/** Starts `mcp-podman serve` over stdio and connects a real SDK Client to it. */
export async function connectStdio(args: string[], env: Record<string, string> = {}): Promise<StdioServer> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', ...args],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'mcp-podman-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

export interface HttpServerProcess {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** The bearer token the server demands, when the test knows it (see withToken). */
  token?: string;
  /** `{authorization: "Bearer <token>"}`, or nothing when no token is known. */
  auth: Record<string, string>;
}

/**
 * The server always demands a token over HTTP, so a test server gets one the way an operator gives
 * it (MCP_PODMAN_AUTH_TOKEN), unless the test set one itself or runs with --unsafe-no-auth.
 */
export function withToken(
  args: string[],
  env: Record<string, string>,
): { env: Record<string, string>; token?: string } {
  if (args.includes('--unsafe-no-auth') || env.MCP_PODMAN_UNSAFE_NO_AUTH) return { env };
  const flag = args.indexOf('--auth-token');
  if (flag >= 0) return { env, token: args[flag + 1] };
  if (env.MCP_PODMAN_AUTH_TOKEN) return { env, token: env.MCP_PODMAN_AUTH_TOKEN };
  const token = `test-${randomBytes(24).toString('base64url')}`;
  return { env: { ...env, MCP_PODMAN_AUTH_TOKEN: token }, token };
}

/** Starts `mcp-podman serve --transport http --port 0` (with a token, see withToken) and waits for its URL. */
export async function startHttpServer(
  args: string[],
  env: Record<string, string> = {},
): Promise<HttpServerProcess> {
  const authed = withToken(args, env);
  const server = await startServeProcess(
    ['--transport', 'http', '--port', '0', ...args],
    authed.env,
    /"url":"(http:\/\/[^"]+)\/mcp"/,
  );
  return { ...server, token: authed.token, auth: bearer(authed.token) };
}

export function bearer(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/**
 * Starts `mcp-podman serve ARGS` as given (no token added) and waits until its log matches
 * `urlPattern` (group 1 is the URL).
 */
export async function startServeProcess(
  args: string[],
  env: Record<string, string>,
  urlPattern: RegExp,
): Promise<HttpServerProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = urlPattern.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    child,
    stderr: () => stderr,
    auth: {},
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill(signal);
      return exited;
    },
  };
}

/**
 * Waits until the server's stderr matches: what `serve` prints after its listener started (the token
 * banner) may arrive after the log line the start helpers wait for.
 */
export async function stderrMatching(
  server: HttpServerProcess,
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(server.stderr());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`stderr never matched ${pattern}: ${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function connectHttp(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'mcp-podman-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }),
  );
  return client;
}

/** Calls a tool and returns its result with structuredContent typed loosely for assertions. */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<CallToolResult & { structuredContent?: Record<string, any> }> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult & {
    structuredContent?: Record<string, any>;
  };
}

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** Asserts a tool call failed with the given code and returns the error. */
export function errorOf(result: CallToolResult & { structuredContent?: Record<string, any> }): {
  code: string;
  message: string;
  details: Record<string, unknown>;
} {
  if (!result.isError)
    throw new Error(`expected an error result, got: ${JSON.stringify(result).slice(0, 500)}`);
  const error = result.structuredContent?.error;
  if (!error?.code) throw new Error(`error result without a code: ${JSON.stringify(result).slice(0, 500)}`);
  return error;
}

/**
 * Calls a tool and returns, besides the result, every progress notification the server sent for
 * it, read off the wire. The SDK's own onprogress misses notifications that arrive in the same read
 * as the response (it settles the response before it runs their handlers), which a loaded machine
 * makes likely; what the server sent is what these tests check.
 */
export async function callWithProgress(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  options: RequestOptions = {},
): Promise<{ result: CallToolResult; progress: Progress[] }> {
  const transport = client.transport!;
  const deliver = transport.onmessage!;
  const progress: Progress[] = [];
  transport.onmessage = (message, extra) => {
    if ('method' in message && message.method === 'notifications/progress')
      progress.push(message.params as unknown as Progress);
    deliver(message, extra);
  };
  try {
    const result = (await client.callTool({ name, arguments: args }, undefined, {
      onprogress: () => undefined,
      ...options,
    })) as CallToolResult;
    return { result, progress };
  } finally {
    transport.onmessage = deliver;
  }
}
