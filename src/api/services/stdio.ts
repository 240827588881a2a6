import { McpPodmanError } from '../../errors.js';
import type { Gateway } from '../../gateway/gateway.js';
import type { MountState } from '../../gateway/mount.js';
import { MANAGED_LABELS } from '../../podman/labels.js';
import type { Template } from '../templates.js';
import { SERVICE_LABELS } from './labels.js';
import type { Replica, Service, ServiceState } from './model.js';

type MountRecord = ReturnType<Gateway['list']>[number];

const SERVICE_STATE: Record<MountState, ServiceState> = {
  starting: 'starting',
  restarting: 'starting',
  ready: 'running',
  // An idle mount has no container; its next call starts one.
  idle: 'running',
  stopped: 'stopped',
  failed: 'failed',
  removed: 'stopped',
};

const HEALTH: Record<MountState, Replica['health']> = {
  starting: 'starting',
  restarting: 'starting',
  ready: 'healthy',
  idle: 'none',
  stopped: 'none',
  failed: 'unhealthy',
  removed: 'none',
};

/**
 * mcp-stdio services: gateway mounts whose prefix is the service name. A mount lives as long as
 * this process (the gateway removes its containers on exit), so these are tracked in memory.
 */
export class StdioServices {
  private readonly services = new Map<string, { template: string; createdAt: string }>();

  constructor(private readonly gateway: Gateway | undefined) {}

  private mount(name: string): MountRecord | undefined {
    return this.gateway?.list().find((r) => r.mount.prefix === name);
  }

  /** Names of live stdio services (a mount removed through registry_remove is gone here too). */
  names(): string[] {
    for (const name of this.services.keys()) if (!this.mount(name)) this.services.delete(name);
    // A server mounted through registry_add is a service too, so the API and the dashboard show it.
    for (const { mount } of this.gateway?.list() ?? []) {
      if (this.services.has(mount.prefix)) continue;
      this.services.set(mount.prefix, {
        template: mount.entry.id,
        createdAt: new Date(mount.startedAt ?? Date.now()).toISOString(),
      });
    }
    return [...this.services.keys()];
  }

  has(name: string): boolean {
    return this.names().includes(name);
  }

  /** Tool names of a service's mount, as the server itself calls them. */
  tools(name: string): { full: string; original: string }[] {
    const record = this.mount(name);
    if (!record || !this.services.has(name)) return [];
    return record.toolNames.map((full) => ({ full, original: full.slice(name.length + 1) }));
  }

  containerId(name: string): string | undefined {
    return this.mount(name)?.mount.containerId;
  }

  async create(
    input: { name: string; template: Template; environment: Record<string, string> },
    signal: AbortSignal,
  ): Promise<Service> {
    if (!this.gateway) {
      throw new McpPodmanError(
        'UNAVAILABLE',
        'mcp-stdio services run on the gateway, which is off (the "registry" toolset is not selected). Restart serve with it.',
      );
    }
    const entry = input.template.entry;
    if (!entry)
      throw new McpPodmanError(
        'INVALID_PARAMS',
        `Template "${input.template.view.name}" is not an MCP server.`,
      );
    this.services.set(input.name, {
      template: input.template.view.name,
      createdAt: new Date().toISOString(),
    });
    try {
      await this.gateway.add(
        { entryId: entry.id, prefix: input.name, env: input.environment },
        { signal, progress: () => undefined },
      );
    } catch (err) {
      this.services.delete(input.name);
      throw err;
    }
    return this.view(input.name)!;
  }

  /** Stops a service's server; its tools stay listed and answer UNAVAILABLE until start. */
  async stop(name: string): Promise<void> {
    await this.mount(name)?.mount.stop();
  }

  async start(name: string): Promise<void> {
    await this.mount(name)?.mount.resume();
  }

  async remove(name: string): Promise<void> {
    this.services.delete(name);
    await this.gateway?.remove({ prefix: name });
  }

  view(name: string): Service | undefined {
    const meta = this.services.get(name);
    const record = this.mount(name);
    if (!meta || !record) return undefined;
    const { mount } = record;
    return {
      name,
      template: meta.template,
      kind: 'mcp-stdio',
      state: SERVICE_STATE[mount.state],
      replicas_desired: 1,
      replicas: [
        {
          id: mount.containerId?.slice(0, 12) ?? '',
          name: mount.containerName,
          state: mount.state,
          health: HEALTH[mount.state],
          restarts: mount.restarts,
          ...(mount.startedAt ? { started_at: new Date(mount.startedAt).toISOString() } : {}),
        },
      ],
      routes: { mcp: `/servers/${name}/mcp` },
      tools: this.tools(name).map((t) => t.original),
      created_at: meta.createdAt,
      labels: { ...MANAGED_LABELS, [SERVICE_LABELS.service]: name, [SERVICE_LABELS.template]: meta.template },
    };
  }
}
