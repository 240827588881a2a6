import { z } from 'zod';
import { isImageReference } from '../tools/schemas.js';

/**
 * A catalog entry: how to run one MCP server in a hardened container. Defaults are the hardened
 * ones; an entry relaxes one only by declaring it, so what a mount may do is always on the page.
 */

/** Prefixes become tool-name prefixes and URI schemes ("<prefix>+<uri>"), so they stay scheme-safe. */
export const PREFIX_RE = /^[a-z][a-z0-9-]{0,30}$/;
export const prefixSchema = z
  .string()
  .regex(PREFIX_RE, 'must be 1-31 lowercase letters, digits or "-", starting with a letter');

const envVarSpec = z
  .object({
    description: z.string().max(1000).optional().describe('What the variable is for'),
    required: z.boolean().default(false).describe('The server cannot start without it'),
    secret: z.boolean().default(false).describe('Stored as a Podman secret, never shown'),
    default: z
      .string()
      .max(32 * 1024)
      .optional()
      .describe('Value used when none is given (not for secrets)'),
  })
  .strict();

const secretRef = z
  .object({
    name: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/)
      .describe('Existing Podman secret'),
    type: z.enum(['mount', 'env']).default('mount').describe('A file under /run/secrets, or an env variable'),
    target: z
      .string()
      .regex(/^[\w.-]+$/)
      .optional()
      .describe('File name or env variable name'),
  })
  .strict();

const volumeSpec = z
  .object({
    source: z
      .string()
      .min(1)
      .optional()
      .describe('Host path (absolute) or a named volume; when absent it is asked for at add time'),
    target: z.string().startsWith('/').describe('Path inside the container'),
    writable: z.boolean().default(false).describe('Mounted read-only unless declared writable'),
    description: z.string().max(500).optional().describe('What the user should mount here'),
  })
  .strict();

/**
 * `transport: stdio`, as the README writes it, is shorthand for `{type: stdio}`; a bare `http` is
 * read as `{type: http}`, so its error asks for the port instead of "expected object".
 */
const transportSpec = z.preprocess(
  (v) => (v === 'stdio' || v === 'http' ? { type: v } : v),
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('stdio') }).strict(),
    z
      .object({
        type: z.literal('http'),
        port: z.number().int().min(1).max(65535).describe('Port the server listens on inside the container'),
        path: z.string().startsWith('/').default('/mcp').describe('Path of the Streamable HTTP endpoint'),
      })
      .strict(),
  ]),
);

const resourcesSpec = z
  .object({
    memory: z
      .string()
      .regex(/^\d+[kmg]?$/i)
      .default('256m')
      .describe('Memory limit'),
    cpus: z.number().min(0.05).max(64).default(1).describe('CPU limit in cores'),
    pids: z.number().int().min(8).max(32768).default(128).describe('Process limit'),
  })
  .strict();

/** Hardening an entry may relax, each only by naming it. */
const relaxSpec = z
  .object({
    readOnlyRootfs: z.boolean().default(true).describe('false gives the server a writable root filesystem'),
    capAdd: z
      .array(z.string().regex(/^[A-Z_]+$/))
      .default([])
      .describe('Capabilities to add back after dropping all'),
    user: z.string().optional().describe('User to run as (default: the image user)'),
  })
  .strict();

export const CatalogEntrySchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._/-]{0,127}$/, 'must be lowercase letters, digits, ".", "_", "/" or "-"'),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).default(''),
    image: z
      .string()
      .refine(isImageReference, 'must be an image reference')
      .optional()
      .describe('OCI image to run'),
    package: z
      .object({
        name: z.string().regex(/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/, 'must be an npm package name'),
        version: z
          .string()
          .regex(/^[\w.^~<>=*|+ -]+$/)
          .default('latest'),
        bin: z
          .string()
          .optional()
          .describe('Which bin of the package to run (default: the only or first one)'),
      })
      .strict()
      .optional()
      .describe('npm package, built into an image locally on the base image'),
    command: z.array(z.string()).optional().describe('Replaces the image entrypoint'),
    args: z.array(z.string()).default([]).describe('Arguments after the entrypoint/command'),
    transport: transportSpec.default({ type: 'stdio' }),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), envVarSpec).default({}),
    secrets: z.array(secretRef).default([]),
    volumes: z.array(volumeSpec).default([]),
    network: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/)
      .optional()
      .describe('none (default for stdio), bridge (default for http) or a network name'),
    resources: resourcesSpec.default({ memory: '256m', cpus: 1, pids: 128 }),
    relax: relaxSpec.default({ readOnlyRootfs: true, capAdd: [] }),
    tools: z.array(z.string().min(1)).optional().describe('Allow-list of the server tools to expose'),
    // A server's own annotations are claims by the party the policy guards against: every mounted
    // tool counts as destructive and not read-only unless the operator's entry names it here.
    readOnlyTools: z
      .array(z.string().min(1))
      .default([])
      .describe('Server tools the operator vouches for as read-only (kept under --read-only)'),
    nonDestructiveTools: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Server tools the operator vouches for as not destructive (kept under --disable-destructive)',
      ),
    prefix: prefixSchema.optional().describe('Default prefix for this server tools'),
    perSession: z.boolean().default(false).describe('One container per client session instead of one shared'),
  })
  .strict()
  .superRefine((entry, ctx) => {
    if (Boolean(entry.image) === Boolean(entry.package)) {
      ctx.addIssue({ code: 'custom', path: ['image'], message: 'give exactly one of image or package' });
    }
    for (const [name, spec] of Object.entries(entry.env)) {
      if (spec.secret && spec.default !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['env', name, 'default'],
          message: 'a secret variable cannot have a default',
        });
      }
    }
  });

export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;
export type CatalogEntryInput = z.input<typeof CatalogEntrySchema>;

/** The prefix a mount of this entry gets when none is asked for. */
export function defaultPrefix(entry: CatalogEntry): string {
  if (entry.prefix) return entry.prefix;
  const last = entry.id.split('/').pop() ?? entry.id;
  const cleaned = last
    .replace(/^(mcp-)?(server-)?/, '')
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^[^a-z]+/, '');
  return (cleaned || 'mcp').slice(0, 31);
}
