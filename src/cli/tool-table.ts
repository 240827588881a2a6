import { registryTools } from '../gateway/tools.js';
import { inputJsonSchema } from '../server/local-tools.js';
import { podmanTools } from '../tools/index.js';

const allTools = [...podmanTools, ...registryTools];

import { TOOLSETS } from '../tools/types.js';

/** The README's tool table, generated from the tool definitions so it cannot drift. */
export function toolTable(format: 'markdown' | 'json'): string {
  if (format === 'json') {
    return `${JSON.stringify(
      allTools.map((t) => ({
        name: t.name,
        title: t.title,
        toolset: t.toolset,
        description: t.description,
        annotations: t.annotations,
        inputSchema: inputJsonSchema(t.input),
      })),
      null,
      2,
    )}\n`;
  }
  const lines = ['| Tool | Toolset | What it does | Arguments | Hints |', '|---|---|---|---|---|'];
  for (const t of allTools) {
    const schema = inputJsonSchema(t.input) as { properties?: Record<string, unknown>; required?: string[] };
    const args = Object.keys(schema.properties ?? {})
      .map((k) => (schema.required?.includes(k) ? `**${k}**` : k))
      .join(', ');
    const hints = [
      t.annotations.readOnlyHint ? 'read-only' : '',
      t.annotations.destructiveHint ? 'destructive' : '',
      t.annotations.idempotentHint ? 'idempotent' : '',
      t.annotations.openWorldHint ? 'open-world' : '',
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(
      `| \`${t.name}\` | ${t.toolset} | ${t.description.replace(/\|/g, '\\|')} | ${args || '-'} | ${hints || '-'} |`,
    );
  }
  const sets = Object.entries(TOOLSETS).map(([k, v]) => `- \`${k}\`: ${v}`);
  return `${lines.join('\n')}\n\nToolsets (for \`--toolsets\`):\n${sets.join('\n')}\n`;
}
