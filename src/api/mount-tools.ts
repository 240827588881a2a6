import type { ToolEntry, ToolRegistry } from '../core/tools.js';
import type { StdioServices } from './services/stdio.js';

/**
 * The tools of one mcp-stdio service as that server names them: a view over the shared registry,
 * where the gateway lists them as `<service>_<tool>`. Calls go through the gateway entry.
 */
export class MountToolView {
  constructor(
    private readonly registry: ToolRegistry,
    private readonly services: StdioServices,
    private readonly service: string,
  ) {}

  list(): ToolEntry[] {
    return this.services
      .tools(this.service)
      .map(({ full, original }) => {
        const entry = this.registry.get(full);
        return entry ? { ...entry, name: original } : undefined;
      })
      .filter((e): e is ToolEntry => e !== undefined);
  }

  get(name: string): ToolEntry | undefined {
    const match = this.services.tools(this.service).find((t) => t.original === name);
    const entry = match ? this.registry.get(match.full) : undefined;
    return entry ? { ...entry, name } : undefined;
  }

  hiddenReason(name: string): string | undefined {
    return this.registry.hiddenReason(`${this.service}_${name}`);
  }

  on(event: 'changed', listener: () => void): this {
    this.registry.on(event, listener);
    return this;
  }

  off(event: 'changed', listener: () => void): this {
    this.registry.off(event, listener);
    return this;
  }
}
