import type { Config } from '../config/schema.js';
import type { PolicySubject } from '../core/tools.js';
import { McpPodmanError } from '../errors.js';
import { TOOLSETS, type ToolsetName } from '../tools/types.js';

/**
 * The operator's policy: returns why a tool is hidden, or undefined when it is exposed. Read-only
 * and no-destructive modes go by annotations; toolsets and allow/deny lists go by name.
 */
export function createPolicy(config: Config): (tool: PolicySubject) => string | undefined {
  if (config.toolsets) {
    const unknown = config.toolsets.filter((t) => !(t in TOOLSETS) && t !== 'all');
    if (unknown.length) {
      throw new McpPodmanError(
        'INVALID_PARAMS',
        `Unknown toolset(s): ${unknown.join(', ')}. Known toolsets: ${Object.keys(TOOLSETS).join(', ')}.`,
      );
    }
  }
  const toolsets =
    config.toolsets && !config.toolsets.includes('all') ? new Set<string>(config.toolsets) : undefined;
  const allow = config.tools ? new Set(config.tools) : undefined;
  const deny = new Set(config.disableTools);
  return (tool) => {
    if (deny.has(tool.name)) return `Tool ${tool.name} is disabled by the server's --disable-tools setting.`;
    if (allow && !allow.has(tool.name)) return `Tool ${tool.name} is not in the server's --tools allow-list.`;
    if (toolsets && !toolsets.has(tool.toolset)) {
      return `Tool ${tool.name} belongs to the "${tool.toolset}" toolset, which this server does not expose (--toolsets).`;
    }
    if (config.readOnly && !tool.annotations.readOnlyHint) {
      return `Tool ${tool.name} changes state and this server runs in --read-only mode.`;
    }
    if (config.disableDestructive && tool.annotations.destructiveHint) {
      return `Tool ${tool.name} is destructive and this server runs with --disable-destructive.`;
    }
    return undefined;
  };
}

export function isToolsetName(name: string): name is ToolsetName {
  return name in TOOLSETS;
}
