import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { McpPodmanError } from '../errors.js';
import { loadCatalog } from '../gateway/catalog.js';
import type { CatalogEntry } from '../gateway/catalog-schema.js';
import { existingUserCatalog, importToUserCatalog, userCatalogPath } from '../gateway/user-catalog.js';
import { table } from '../tools/render.js';
import { print } from './output.js';

interface CatalogFlags {
  catalog?: string[];
  builtinCatalog?: boolean;
  json?: boolean;
}

/** `mcp-podman catalog ls|show|import`: the catalog a `serve` would load, for humans. */
export function catalogCommands(program: Command): void {
  const catalog = program.command('catalog').description('Browse the MCP server catalog and import entries');
  const sources = (cmd: Command) =>
    cmd
      .option(
        '--catalog <file>',
        'also load this catalog file; repeatable',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option('--no-builtin-catalog', 'leave the built-in catalog out')
      .option('--json', 'print JSON');

  sources(catalog.command('ls').argument('[query]', 'words that must all match id, name or description'))
    .description('List catalog entries')
    .action(async (query: string | undefined, flags: CatalogFlags) => {
      const entries = (await load(flags)).search(query ?? '');
      print(flags, { entries: entries.map(summary) }, () =>
        entries.length === 0
          ? `No catalog entry matches "${query ?? ''}".`
          : table(
              ['ID', 'NAME', 'TRANSPORT', 'RUNS', 'SOURCE'],
              entries.map((e) => [e.id, e.name, e.transport.type, runs(e), e.source]),
            ),
      );
    });

  sources(catalog.command('show').argument('<id>', 'catalog entry id'))
    .description('Show one catalog entry in full')
    .action(async (id: string, flags: CatalogFlags) => {
      const entry = (await load(flags)).get(id);
      if (!entry) {
        throw new McpPodmanError(
          'NOT_FOUND',
          `No catalog entry "${id}". Use \`mcp-podman catalog ls\` to list them.`,
        );
      }
      print(flags, entry, () => toYaml(entry).trimEnd());
    });

  catalog
    .command('import')
    .argument('<file>', 'an MCP registry server.json (or one catalog entry), JSON or YAML')
    .description(`Validate an entry and add it to the user catalog (${userCatalogPath()})`)
    .option('--replace', 'overwrite an entry with the same id')
    .option('--json', 'print JSON')
    .action(async (file: string, flags: { replace?: boolean; json?: boolean }) => {
      const path = userCatalogPath();
      const entry = await importToUserCatalog({
        document: await readDocument(file),
        source: file,
        path,
        replace: Boolean(flags.replace),
      });
      print(flags, { imported: summary({ ...entry, source: path }), catalog: path }, () =>
        [
          `Imported "${entry.id}" (${entry.name}) into ${path}.`,
          `A running \`mcp-podman serve\` sees it after a restart; add it with \`mcp-podman server add NAME --template ${entry.id}\`.`,
        ].join('\n'),
      );
    });
}

async function load(flags: CatalogFlags) {
  return loadCatalog({
    files: [...existingUserCatalog(), ...(flags.catalog ?? [])],
    builtin: flags.builtinCatalog !== false,
  });
}

async function readDocument(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new McpPodmanError('INVALID_PARAMS', `Cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `${file} is not valid JSON or YAML: ${(err as Error).message}`,
    );
  }
}

function runs(entry: CatalogEntry): string {
  return entry.image ?? `npm:${entry.package?.name}@${entry.package?.version}`;
}

function summary(entry: CatalogEntry & { source: string }) {
  return {
    id: entry.id,
    name: entry.name,
    description: entry.description,
    transport: entry.transport.type,
    runs: runs(entry),
    source: entry.source,
  };
}
