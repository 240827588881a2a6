import { z } from 'zod';
import { bytes } from './render.js';
import { defineTool, READ_ONLY, type ToolDef } from './types.js';

interface PodmanInfo {
  host?: {
    arch?: string;
    os?: string;
    hostname?: string;
    kernel?: string;
    cpus?: number;
    memTotal?: number;
    memFree?: number;
    ociRuntime?: { name?: string };
    networkBackend?: string;
    security?: { rootless?: boolean; selinuxEnabled?: boolean };
    cgroupVersion?: string;
    distribution?: { distribution?: string; version?: string };
  };
  store?: {
    graphRoot?: string;
    runRoot?: string;
    graphDriverName?: string;
    containerStore?: { number?: number; running?: number };
    imageStore?: { number?: number };
    volumePath?: string;
  };
  version?: { Version?: string; APIVersion?: string; GoVersion?: string };
  registries?: Record<string, unknown>;
}

const info = defineTool({
  name: 'podman_info',
  title: 'Podman information',
  description: 'Podman version, host, storage and the API socket mcp-podman uses.',
  toolset: 'system',
  input: z.object({}),
  annotations: READ_ONLY,
  async handler(_args, ctx) {
    const client = await ctx.podman();
    const res = await client.json<PodmanInfo>('GET', '/libpod/info', { signal: ctx.signal });
    const conn = ctx.connection.info;
    const data = {
      version: res.version?.Version,
      apiVersion: res.version?.APIVersion,
      host: {
        os: res.host?.os,
        arch: res.host?.arch,
        hostname: res.host?.hostname,
        kernel: res.host?.kernel,
        distribution: res.host?.distribution,
        cpus: res.host?.cpus,
        memTotal: res.host?.memTotal,
        memFree: res.host?.memFree,
        ociRuntime: res.host?.ociRuntime?.name,
        networkBackend: res.host?.networkBackend,
        cgroupVersion: res.host?.cgroupVersion,
        rootless: res.host?.security?.rootless,
        selinux: res.host?.security?.selinuxEnabled,
      },
      storage: {
        driver: res.store?.graphDriverName,
        graphRoot: res.store?.graphRoot,
        runRoot: res.store?.runRoot,
        volumePath: res.store?.volumePath,
        containers: res.store?.containerStore?.number,
        running: res.store?.containerStore?.running,
        images: res.store?.imageStore?.number,
      },
      socket: { endpoint: conn.endpoint, source: conn.source, embedded: conn.embedded },
    };
    const text = [
      `Podman ${data.version} (API ${data.apiVersion}) on ${data.host.distribution?.distribution ?? data.host.os} ${data.host.distribution?.version ?? ''}, ${data.host.arch}`,
      `  runtime: ${data.host.ociRuntime}, network: ${data.host.networkBackend}, cgroups ${data.host.cgroupVersion}, ${data.host.rootless ? 'rootless' : 'rootful'}`,
      `  cpus: ${data.host.cpus}, memory: ${bytes(data.host.memFree)} free of ${bytes(data.host.memTotal)}`,
      `  storage: ${data.storage.driver} at ${data.storage.graphRoot}; ${data.storage.containers} containers (${data.storage.running} running), ${data.storage.images} images`,
      `  socket: ${conn.endpoint} (${conn.source}${conn.embedded ? ', started by mcp-podman' : ''})`,
    ].join('\n');
    return { text, data };
  },
});

export const systemTools: ToolDef[] = [info];
