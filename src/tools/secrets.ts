import { z } from 'zod';
import { McpPodmanError } from '../errors.js';
import { MANAGED_LABELS } from '../podman/labels.js';
import { readHostFile } from './host-file.js';
import { libpodObject } from './libpod-object.js';
import { table, truncationNote } from './render.js';
import { assertClientSecrets, assertNotReservedName } from './reserved-secrets.js';
import { filtersOf, labelsRecord, objectName, objectRef } from './schemas.js';
import { DESTRUCTIVE, defineTool, MUTATING, READ_ONLY, type ToolDef } from './types.js';

/** Podman refuses secret data of 512000 bytes or more. */
const MAX_SECRET_BYTES = 512_000 - 1;

const secretKind = libpodObject(
  'secrets',
  'SECRET_NOT_FOUND',
  (name) => `No secret "${name}". Use podman_secret_list to list secrets.`,
);
const secretNotFound = secretKind.notFound;
const secretPath = secretKind.path;

interface PodmanSecret {
  ID: string;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: {
    Name: string;
    Driver?: { Name: string; Options?: Record<string, string> | null };
    Labels?: Record<string, string> | null;
  };
}

/** Metadata only: newer Podman versions can put SecretData in the same object, and it never leaves here. */
function metadataOf(s: PodmanSecret) {
  return {
    id: s.ID,
    name: s.Spec.Name,
    driver: s.Spec.Driver?.Name ?? '',
    labels: s.Spec.Labels ?? {},
    createdAt: s.CreatedAt,
    updatedAt: s.UpdatedAt,
  };
}

const create = defineTool({
  name: 'podman_secret_create',
  title: 'Create a secret',
  description:
    'Create a Podman secret from a value or from a file read by the server. The value is never echoed back and is ' +
    'scrubbed from every later result. Give it to containers with podman_run secrets (as a file or an env variable).',
  toolset: 'secrets',
  input: z.object({
    name: objectName.describe('Name of the new secret (required)'),
    value: z
      .string()
      .min(1)
      .max(MAX_SECRET_BYTES)
      .optional()
      .describe('The secret value (give this or filePath)'),
    filePath: z
      .string()
      .startsWith('/', 'must be an absolute path')
      .max(4096)
      .optional()
      .describe(
        'Absolute path of a file on the server whose content becomes the secret (give this or value)',
      ),
    labels: labelsRecord.default({}).describe('Labels to set (io.mcp-podman.managed=true is always added)'),
    driver: z.enum(['file']).default('file').describe('Secret driver (file: stored by Podman on the host)'),
  }),
  annotations: MUTATING,
  async handler(args, ctx) {
    assertNotReservedName([args.name]);
    if ((args.value === undefined) === (args.filePath === undefined)) {
      throw new McpPodmanError('INVALID_PARAMS', 'Give exactly one of value or filePath.');
    }
    // A file's content goes into a secret a container can mount: it is read only under the bind
    // roots, by the real path that was checked, never through a link swapped in meanwhile.
    const data =
      args.filePath === undefined
        ? Buffer.from(args.value!)
        : (
            await readHostFile(args.filePath, ctx.config.bindRoots, 'This secret', {
              instead: 'pass the value itself',
              maxBytes: MAX_SECRET_BYTES,
            })
          ).bytes;
    if (data.length === 0 || data.length > MAX_SECRET_BYTES)
      throw new McpPodmanError('INVALID_PARAMS', `A secret must have 1 to ${MAX_SECRET_BYTES} bytes.`);
    const text = data.toString('utf8');
    ctx.redactor.remember(text);
    // A value read from a file usually ends with a newline that a program printing it may drop.
    ctx.redactor.remember(text.trim());
    const client = await ctx.podman();
    // Podman 4 answers a taken name with a bare 500 "secret name in use"; the client maps it to CONFLICT.
    const created = await client.json<{ ID: string }>('POST', '/libpod/secrets/create', {
      query: { name: args.name, driver: args.driver, labels: { ...args.labels, ...MANAGED_LABELS } },
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
      signal: ctx.signal,
      conflict: {
        message: `A secret named "${args.name}" already exists. Choose another name, or remove it first with podman_secret_rm.`,
      },
    });
    return {
      text: `Created secret ${args.name} (${created.ID}, ${data.length} bytes).`,
      data: { id: created.ID, name: args.name, driver: args.driver, sizeBytes: data.length },
    };
  },
});

const list = defineTool({
  name: 'podman_secret_list',
  title: 'List secrets',
  description: 'List Podman secrets (names, drivers, labels, dates; never values).',
  toolset: 'secrets',
  input: z.object({
    filters: z
      .object({
        name: z.string().max(253).optional().describe('Only secrets whose name matches this'),
      })
      .strict()
      .default({})
      .describe('Filter secrets by criteria'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(100)
      .describe('Maximum number of secrets to return (default 100)'),
  }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const filters = filtersOf({ name: args.filters.name });
    const all = (
      (await client.json<PodmanSecret[] | null>('GET', '/libpod/secrets/json', {
        query: { filters },
        signal: ctx.signal,
      })) ?? []
    ).map(metadataOf);
    all.sort((a, b) => a.name.localeCompare(b.name));
    const secrets = all.slice(0, args.limit);
    const text =
      (secrets.length === 0
        ? `No secrets${filters ? ' match the filters' : ''}.`
        : table(
            ['NAME', 'ID', 'DRIVER', 'CREATED'],
            secrets.map((s) => [s.name, s.id, s.driver, s.createdAt]),
          )) + truncationNote(secrets.length, all.length, 'raise limit or filter by name');
    return {
      text,
      data: { secrets, count: secrets.length, total: all.length, truncated: all.length > secrets.length },
    };
  },
});

const inspect = defineTool({
  name: 'podman_secret_inspect',
  title: 'Inspect a secret',
  description: "Show a secret's metadata: id, driver, labels and dates. The value is never shown.",
  toolset: 'secrets',
  input: z.object({ secret: objectRef.describe('Secret name or ID (required)') }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const secret = metadataOf(
      await client.json<PodmanSecret>('GET', secretPath(args.secret, '/json'), {
        signal: ctx.signal,
        notFound: secretNotFound(args.secret),
      }),
    );
    const labels = Object.entries(secret.labels).map(([k, v]) => `${k}=${v}`);
    return {
      text: [
        `Secret ${secret.name} (${secret.id})`,
        `  driver:  ${secret.driver}`,
        `  created: ${secret.createdAt}`,
        labels.length ? `  labels:  ${labels.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
      data: { secret },
    };
  },
});

const rm = defineTool({
  name: 'podman_secret_rm',
  title: 'Remove a secret',
  description: 'Remove one secret by name or ID. Podman does not check whether containers still use it.',
  toolset: 'secrets',
  input: z.object({ secret: objectRef.describe('Secret name or ID to remove (exactly one; no wildcards)') }),
  annotations: DESTRUCTIVE,
  async handler(args, ctx) {
    const client = await ctx.podman();
    // Removing a mount's or a service's secret would break it for its owner.
    await assertClientSecrets(client, [args.secret], ctx.signal);
    await client.call('DELETE', secretPath(args.secret), {
      signal: ctx.signal,
      notFound: secretNotFound(args.secret),
    });
    return { text: `Removed secret ${args.secret}.`, data: { secret: args.secret, removed: true } };
  },
});

export const secretTools: ToolDef[] = [create, list, inspect, rm];
