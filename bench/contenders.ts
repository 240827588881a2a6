import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Client as UndiciClient } from 'undici';
import { connectStdio } from '../test/helpers/mcp.js';
import { BENCH_NAME_PREFIX } from './fixture.js';

/** One way of listing the containers; call() returns how many benchmark containers it saw. */
export interface Contender {
  /** Stable key in results/latest.json. */
  id: 'raw-api' | 'mcp-podman' | 'peer-api' | 'peer-cli';
  name: string;
  call(): Promise<number>;
  close(): Promise<void>;
}

/** Only the clean environment a desktop client would pass, so nothing else steers the servers. */
const baseEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' };

/** mcp-podman's podman_ps through the built CLI over stdio, driven by the SDK Client. */
export async function mcpPodman(socketPath: string): Promise<Contender> {
  const server = await connectStdio(['--socket-path', socketPath]);
  return {
    id: 'mcp-podman',
    name: 'mcp-podman podman_ps (stdio)',
    async call() {
      const result = (await server.client.callTool({
        name: 'podman_ps',
        arguments: { all: true },
      })) as CallToolResult & { structuredContent?: { count?: number } };
      if (result.isError) throw new Error(`podman_ps failed: ${JSON.stringify(result.content)}`);
      return result.structuredContent?.count ?? 0;
    },
    close: () => server.close(),
  };
}

/**
 * The floor: the same listing as a raw libpod request on one keep-alive connection to the same
 * socket, body read and parsed like any client would.
 */
export function rawApi(socketPath: string): Contender {
  const http = new UndiciClient('http://d', { socketPath, pipelining: 1 });
  return {
    id: 'raw-api',
    name: 'raw libpod API (undici, keep-alive)',
    async call() {
      const res = await http.request({
        method: 'GET',
        path: '/v4.0.0/libpod/containers/json?all=true',
      });
      if (res.statusCode !== 200) throw new Error(`libpod answered ${res.statusCode}`);
      return ((await res.body.json()) as unknown[]).length;
    },
    close: () => http.close(),
  };
}

/** The npm package ships a Go binary per platform; run it directly, not through its node wrapper. */
function peerBinary(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const name = `podman-mcp-server-${os}-${arch}`;
  try {
    return createRequire(import.meta.url).resolve(`${name}/bin/${name}${os === 'windows' ? '.exe' : ''}`);
  } catch (err) {
    throw new Error(
      `The peer podman-mcp-server has no binary for ${os}-${arch} here (npm package ${name}).`,
      {
        cause: err,
      },
    );
  }
}

/**
 * The peer podman-mcp-server's container_list over stdio. Its `api` backend talks to the socket
 * named by CONTAINER_HOST; its `cli` backend runs the podman CLI, which CONTAINER_HOST turns into a
 * remote client of the same socket. Its listing is a text table; count the benchmark's rows.
 */
export async function peer(socketPath: string, backend: 'api' | 'cli'): Promise<Contender> {
  const transport = new StdioClientTransport({
    command: peerBinary(),
    args: ['--podman-impl', backend],
    env: { ...baseEnv, CONTAINER_HOST: `unix://${socketPath}` },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  const client = new Client({ name: 'mcp-podman-bench', version: '1.0.0' });
  await client.connect(transport);
  return {
    id: `peer-${backend}`,
    name: `podman-mcp-server container_list (${backend})`,
    async call() {
      const result = (await client.callTool({ name: 'container_list', arguments: {} })) as CallToolResult;
      const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
      if (result.isError) throw new Error(`peer ${backend} failed: ${text} ${stderr}`);
      return text.split('\n').filter((line) => line.includes(BENCH_NAME_PREFIX)).length;
    },
    close: () => client.close(),
  };
}
