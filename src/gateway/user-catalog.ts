import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import { McpPodmanError } from '../errors.js';
import { parseCatalogDocument } from './catalog.js';
import type { CatalogEntry } from './catalog-schema.js';
import { entryFromServerJson, isServerJson, ServerJsonError } from './server-json.js';

/**
 * The user's own catalog, `$XDG_CONFIG_HOME/mcp-podman/catalog.yaml` (default ~/.config/...):
 * `mcp-podman catalog import` appends to it and `serve` loads it when it exists.
 */
export function userCatalogPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'mcp-podman', 'catalog.yaml');
}

export function existingUserCatalog(env: NodeJS.ProcessEnv = process.env): string[] {
  const path = userCatalogPath(env);
  return existsSync(path) ? [path] : [];
}

export interface ImportOptions {
  /** The parsed server.json or catalog entry to add. */
  document: unknown;
  /** Names the document in error messages. */
  source: string;
  /** Where the user catalog lives. */
  path: string;
  /** Replace an entry with the same id instead of refusing. */
  replace: boolean;
}

/**
 * Validates a server.json document (or a single catalog entry) and appends it to the user catalog,
 * keeping the file's other content and comments. The whole file is validated again before it is
 * written, and written by rename, so a bad import never leaves a catalog that `serve` rejects.
 */
export async function importToUserCatalog(options: ImportOptions): Promise<CatalogEntry> {
  const raw = entryInput(options.document, options.source);
  const [entry] = parseCatalogDocument([raw], options.source);
  if (!entry) throw new McpPodmanError('INVALID_PARAMS', `${options.source} holds no catalog entry.`);

  const text = existsSync(options.path) ? await readFile(options.path, 'utf8') : '';
  const doc = parseDocument(text || 'entries: []\n');
  if (doc.errors.length > 0) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `The user catalog ${options.path} is not valid YAML (${doc.errors[0]?.message}); fix or move it, then import again.`,
    );
  }
  if (!isMap(doc.contents)) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `The user catalog ${options.path} must be a mapping with "entries".`,
    );
  }
  if (!doc.has('entries')) doc.set('entries', doc.createNode([]));
  const entries = doc.get('entries');
  if (!isSeq(entries)) {
    throw new McpPodmanError('INVALID_PARAMS', `"entries" in ${options.path} must be a list.`);
  }
  const at = entries.items.findIndex((item) => isMap(item) && item.get('id') === entry.id);
  if (at >= 0 && !options.replace) {
    throw new McpPodmanError(
      'CONFLICT',
      `The user catalog already has an entry "${entry.id}". Pass --replace to overwrite it, or remove it from ${options.path}.`,
    );
  }
  entries.flow = false; // an empty `entries: []` would otherwise keep every entry on one flow line
  const node = doc.createNode(raw);
  if (at >= 0) entries.items[at] = node;
  else entries.add(node);

  const next = doc.toString();
  parseCatalogDocument(parseDocument(next).toJS(), options.path);
  await mkdir(dirname(options.path), { recursive: true });
  const temp = `${options.path}.${process.pid}.tmp`;
  await writeFile(temp, next, { mode: 0o644 });
  await rename(temp, options.path);
  return entry;
}

/** The entry as written (defaults left implicit), converted from server.json when it is one. */
function entryInput(document: unknown, source: string): unknown {
  if (!isServerJson(document)) return document;
  try {
    return entryFromServerJson(document);
  } catch (err) {
    if (err instanceof ServerJsonError)
      throw new McpPodmanError('INVALID_PARAMS', `${source}: ${err.message}`);
    throw err;
  }
}
