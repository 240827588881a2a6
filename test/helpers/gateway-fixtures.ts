import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensureBusybox, ensureNpmServerImage } from './images.js';

export interface GatewayImages {
  everything: string;
  filesystem: string;
  memory: string;
  busybox: string;
}

/** Real third-party MCP servers from npm, packaged into local images (no registry is reachable). */
export async function ensureGatewayImages(): Promise<GatewayImages> {
  const busybox = await ensureBusybox();
  const everything = await ensureNpmServerImage(
    '@modelcontextprotocol/server-everything',
    'server-everything',
  );
  const filesystem = await ensureNpmServerImage(
    '@modelcontextprotocol/server-filesystem',
    'server-filesystem',
  );
  const memory = await ensureNpmServerImage('@modelcontextprotocol/server-memory', 'server-memory');
  return { everything, filesystem, memory, busybox };
}

/** A catalog of the test images, including deliberately broken entries. */
export async function writeTestCatalog(dir: string, images: GatewayImages): Promise<string> {
  const entries = [
    {
      id: 'everything',
      name: 'Everything',
      description: 'reference server',
      image: images.everything,
      args: ['stdio'],
      prefix: 'everything',
    },
    {
      id: 'everything-http',
      name: 'Everything over HTTP',
      description: 'reference server, streamable HTTP',
      image: images.everything,
      args: ['streamableHttp'],
      transport: { type: 'http', port: 3001, path: '/mcp' },
      prefix: 'evhttp',
    },
    {
      id: 'filesystem',
      name: 'Filesystem',
      description: 'files in a mounted directory',
      image: images.filesystem,
      args: ['/projects'],
      volumes: [{ target: '/projects', writable: true }],
      prefix: 'fs',
    },
    {
      id: 'memory',
      name: 'Memory',
      description: 'knowledge graph',
      image: images.memory,
      env: { MEMORY_FILE_PATH: { default: '/tmp/memory.jsonl' } },
      prefix: 'memory',
    },
    {
      id: 'needs-token',
      name: 'Needs a token',
      description: 'everything with a required secret env',
      image: images.everything,
      args: ['stdio'],
      env: { API_TOKEN: { required: true, secret: true }, MODE: { default: 'test' } },
      prefix: 'tok',
    },
    {
      id: 'everything-per-session',
      name: 'Everything, one container per session',
      image: images.everything,
      args: ['stdio'],
      perSession: true,
      prefix: 'ps',
    },
    {
      id: 'missing-image',
      name: 'Missing image',
      image: 'localhost/mcp-podman-test/does-not-exist:1',
      prefix: 'missing',
    },
    {
      // Built on the base image, which a test gateway names as a local image that does not exist.
      id: 'npm-no-base',
      name: 'npm entry without a base image',
      package: { name: '@modelcontextprotocol/server-memory', version: '2026.8.31' },
      prefix: 'nobase',
    },
    {
      id: 'silent',
      name: 'Never answers',
      image: images.busybox,
      command: ['sleep', '600'],
      prefix: 'silent',
    },
    {
      id: 'garbage',
      name: 'Writes garbage',
      image: images.busybox,
      command: ['sh', '-c', 'while true; do echo "this is not json-rpc"; sleep 0.01; done'],
      prefix: 'garbage',
    },
  ];
  const path = join(dir, 'catalog.yaml');
  await writeFile(path, stringify({ entries }));
  return path;
}
