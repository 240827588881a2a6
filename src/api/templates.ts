import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { McpPodmanError } from '../errors.js';
import type { Catalog } from '../gateway/catalog.js';
import type { CatalogEntry } from '../gateway/catalog-schema.js';
import { envKey, imageRef, memorySize } from '../tools/schemas.js';

export const RESTART_POLICIES = ['no', 'always', 'on-failure', 'unless-stopped'] as const;

/** CPU limit in cores: a number, or a numeric string as the documented format writes it. */
export const cpuLimit = z
  .union([z.number(), z.string().regex(/^\d+(\.\d+)?$/)])
  .transform(Number)
  .pipe(z.number().min(0.01).max(64))
  .describe('CPU limit in cores, e.g. 0.5');

/** The documented template format: a plain HTTP service, or an MCP server when capabilities include "mcp". */
export const DocumentedTemplateSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be lowercase letters, digits, ".", "_" or "-"'),
    description: z.string().max(2000).default(''),
    image: imageRef.optional(),
    default_config: z
      .object({
        image: imageRef.optional(),
        port: z.number().int().min(1).max(65535).describe('Port the service listens on in the container'),
        environment: z.record(envKey, z.string().max(32 * 1024)).default({}),
        volumes: z.record(z.string().startsWith('/'), z.string().startsWith('/')).default({}),
        memory_limit: memorySize.optional(),
        cpu_limit: cpuLimit.optional(),
        restart_policy: z.enum(RESTART_POLICIES).default('unless-stopped'),
        health_check_path: z.string().startsWith('/').max(512).optional(),
        health_check_interval: z.number().min(0.2).max(3600).optional(),
        labels: z.record(z.string().min(1).max(256), z.string().max(4096)).default({}),
        // Beyond the documented fields: how to start the image when its default command is not it.
        command: z.array(z.string()).optional(),
        args: z.array(z.string()).optional(),
      })
      .strict(),
    required_env_vars: z.array(envKey).default([]),
    capabilities: z.array(z.string().min(1).max(64)).default([]),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (!t.image && !t.default_config.image) {
      ctx.addIssue({ code: 'custom', path: ['image'], message: 'give image or default_config.image' });
    }
  });

export type DocumentedTemplate = z.infer<typeof DocumentedTemplateSchema>;
export type TemplateKind = 'mcp-stdio' | 'mcp-http' | 'http';

/** What the API shows of a template. */
export const TemplateViewSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    kind: z.enum(['mcp-stdio', 'mcp-http', 'http']),
    image: z.string().optional(),
    package: z.string().optional(),
    port: z.number().int().optional(),
    required_env_vars: z.array(z.string()),
    capabilities: z.array(z.string()),
    source: z.string(),
  })
  .meta({ id: 'Template' });

export type TemplateView = z.infer<typeof TemplateViewSchema>;

/** A template with what it came from: a catalog entry or a documented template. */
export type Template =
  | { view: TemplateView; entry: CatalogEntry; doc?: undefined }
  | { view: TemplateView; doc: DocumentedTemplate; entry?: undefined };

function fromEntry(entry: CatalogEntry & { source: string }): Template {
  const http = entry.transport.type === 'http';
  return {
    entry,
    view: {
      name: entry.id,
      description: entry.description,
      kind: http ? 'mcp-http' : 'mcp-stdio',
      ...(entry.image ? { image: entry.image } : {}),
      ...(entry.package ? { package: `${entry.package.name}@${entry.package.version}` } : {}),
      ...(entry.transport.type === 'http' ? { port: entry.transport.port } : {}),
      required_env_vars: Object.entries(entry.env)
        .filter(([, spec]) => spec.required)
        .map(([name]) => name),
      capabilities: ['mcp', entry.transport.type],
      source: entry.source,
    },
  };
}

function fromDocument(doc: DocumentedTemplate, source: string): Template {
  return {
    doc,
    view: {
      name: doc.name,
      description: doc.description,
      kind: doc.capabilities.includes('mcp') ? 'mcp-http' : 'http',
      image: doc.default_config.image ?? doc.image,
      port: doc.default_config.port,
      required_env_vars: doc.required_env_vars,
      capabilities: doc.capabilities,
      source,
    },
  };
}

/** Every template by name: catalog entries first, documented templates over them. */
export class TemplateStore {
  private readonly templates = new Map<string, Template>();

  list(): Template[] {
    return [...this.templates.values()].sort((a, b) => a.view.name.localeCompare(b.view.name));
  }

  get(name: string): Template {
    const t = this.templates.get(name);
    if (!t) throw new McpPodmanError('NOT_FOUND', `No template "${name}". GET /templates lists them.`);
    return t;
  }

  addCatalog(catalog: Catalog): void {
    for (const entry of catalog.search()) this.templates.set(entry.id, fromEntry(entry));
  }

  addDocuments(docs: DocumentedTemplate[], source: string): void {
    for (const doc of docs) this.templates.set(doc.name, fromDocument(doc, source));
  }
}

/** Parses `templates: [...]` in a catalog document, a list, or a single template. */
export function parseTemplates(value: unknown, source: string): DocumentedTemplate[] {
  const list = Array.isArray(value)
    ? value
    : value && typeof value === 'object' && 'templates' in value
      ? (value as { templates: unknown }).templates
      : value && typeof value === 'object' && 'default_config' in value
        ? [value]
        : [];
  if (!Array.isArray(list)) {
    throw new McpPodmanError('INVALID_PARAMS', `Templates in ${source}: "templates" must be a list.`);
  }
  return list.map((raw, index) => {
    const parsed = DocumentedTemplateSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.map(
      (i) => `field ${i.path.join('.') || '(template)'}: ${i.message}`,
    );
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `Template ${index} in ${source} is invalid: ${problems.join('; ')}. Fix the file and restart.`,
    );
  });
}

async function readDocument(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `Templates file ${path} does not parse: ${(err as Error).message}`,
    );
  }
}

/** Loads templates from the catalog, the `templates:` lists of catalog files, and a folder of JSON files. */
export async function loadTemplates(options: {
  catalog?: Catalog;
  catalogFiles: string[];
  dir?: string;
}): Promise<TemplateStore> {
  const store = new TemplateStore();
  if (options.catalog) store.addCatalog(options.catalog);
  for (const file of options.catalogFiles)
    store.addDocuments(parseTemplates(await readDocument(file), file), file);
  if (options.dir) {
    let names: string[];
    try {
      names = (await readdir(options.dir)).filter((n) => n.endsWith('.json')).sort();
    } catch (err) {
      throw new McpPodmanError(
        'INVALID_PARAMS',
        `Cannot read the templates folder ${options.dir}: ${(err as Error).message}`,
      );
    }
    for (const name of names) {
      const path = join(options.dir, name);
      store.addDocuments(parseTemplates(await readDocument(path), path), path);
    }
  }
  return store;
}
