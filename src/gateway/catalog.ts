import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { McpPodmanError } from '../errors.js';
import { type CatalogEntry, CatalogEntrySchema } from './catalog-schema.js';
import { entryFromServerJson, isServerJson, ServerJsonError } from './server-json.js';

export const BUILTIN_CATALOG = fileURLToPath(new URL('../../catalog/builtin.yaml', import.meta.url));

/** Entries by id. Later sources override earlier ones with the same id (a user file over the built-in). */
export class Catalog {
  private readonly entries = new Map<string, CatalogEntry & { source: string }>();

  add(entry: CatalogEntry, source: string): void {
    this.entries.set(entry.id, { ...entry, source });
  }

  get(id: string): (CatalogEntry & { source: string }) | undefined {
    return this.entries.get(id);
  }

  /** Case-insensitive search over id, name and description; every word must match. */
  search(query = ''): (CatalogEntry & { source: string })[] {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    return [...this.entries.values()].filter((e) => {
      const hay = `${e.id} ${e.name} ${e.description}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    });
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Parses one catalog document; a bad entry is named with its index, id and field. */
export function parseCatalogDocument(value: unknown, source: string): CatalogEntry[] {
  if (isServerJson(value)) {
    try {
      return [validateEntry(entryFromServerJson(value), source, 0)];
    } catch (err) {
      if (err instanceof ServerJsonError)
        throw new McpPodmanError('INVALID_PARAMS', `Catalog ${source}: ${err.message}`);
      throw err;
    }
  }
  const doc = value as { entries?: unknown[]; templates?: unknown[] } | null;
  // A file may hold only service templates (read by the management plane); it has no entries then.
  const list = Array.isArray(value)
    ? value
    : (doc?.entries ?? (Array.isArray(doc?.templates) ? [] : undefined));
  if (!Array.isArray(list)) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `Catalog ${source}: expected a list of entries, an object with "entries", or an MCP registry server.json document.`,
    );
  }
  const seen = new Set<string>();
  return list.map((raw, index) => {
    const entry = isServerJson(raw)
      ? validateEntry(entryFromServerJson(raw), source, index)
      : validateEntry(raw, source, index);
    if (seen.has(entry.id)) {
      throw new McpPodmanError(
        'INVALID_PARAMS',
        `Catalog ${source}: entry ${index} repeats the id "${entry.id}".`,
      );
    }
    seen.add(entry.id);
    return entry;
  });
}

function validateEntry(raw: unknown, source: string, index: number): CatalogEntry {
  const parsed = CatalogEntrySchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const id =
    typeof (raw as { id?: unknown })?.id === 'string' ? `"${(raw as { id: string }).id}"` : `#${index}`;
  const problems = parsed.error.issues.map((i) => `field ${i.path.join('.') || '(entry)'}: ${i.message}`);
  throw new McpPodmanError(
    'INVALID_PARAMS',
    `Catalog ${source}: entry ${id} (index ${index}) is invalid: ${problems.join('; ')}`,
    {
      details: {
        source,
        index,
        issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
      },
    },
  );
}

export async function readCatalogFile(path: string): Promise<CatalogEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new McpPodmanError('INVALID_PARAMS', `Cannot read catalog ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `Catalog ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
  return parseCatalogDocument(value, path);
}

export async function loadCatalog(options: { files: string[]; builtin: boolean }): Promise<Catalog> {
  const catalog = new Catalog();
  const files = options.builtin ? [BUILTIN_CATALOG, ...options.files] : options.files;
  for (const file of files) {
    for (const entry of await readCatalogFile(file))
      catalog.add(entry, file === BUILTIN_CATALOG ? 'builtin' : file);
  }
  return catalog;
}
