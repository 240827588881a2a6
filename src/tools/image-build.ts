import { z } from 'zod';
import { isMcpPodmanError, McpPodmanError } from '../errors.js';
import { buildImage } from '../podman/build.js';
import type { PodmanClient } from '../podman/client.js';
import { registryStream } from '../podman/registry-stream.js';
import { assertBindable, BUILD_CONTEXT } from './bind-roots.js';
import { buildNetwork } from './host-network.js';
import { imageNotFound, imagePath } from './images.js';
import { assertCredentialBound, credentialedDestination } from './registry-credentials.js';
import { ago, bytes, shortId, table, truncationNote } from './render.js';
import { envKey, imageRef, labelsRecord, objectRef } from './schemas.js';
import { DESTRUCTIVE, defineTool, MUTATING, READ_ONLY, type ToolContext, type ToolDef } from './types.js';

/** A name[:tag] to give an image: not an id, not a digest. */
const tagRef = imageRef.refine((v) => !v.includes('@') && !/^(?:sha256:)?[a-f0-9]{64}$/.test(v), {
  message: 'must be a name[:tag] reference such as "localhost/app:1.0", not an image id or digest',
});

/** Splits "registry/name:tag" into libpod's repo and tag parameters (tag defaults to latest). */
function splitTag(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

const build = defineTool({
  name: 'podman_build',
  title: 'Build an image',
  description:
    'Build an image from a context directory on the server and its Containerfile, or from an inline Containerfile ' +
    '(containerfileText), or both. .containerignore/.dockerignore are honoured. Build output is sent as progress ' +
    'notifications; the result has the image id and the tail of the log. Cancelling the call stops the build. ' +
    'Images are labelled io.mcp-podman.managed=true.',
  toolset: 'images',
  input: z.object({
    contextDir: z
      .string()
      .startsWith('/', 'must be an absolute path')
      .max(4096)
      .optional()
      .describe(
        'Absolute path of the build context directory on the server (optional with containerfileText)',
      ),
    containerfile: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe('Containerfile path relative to contextDir (default Containerfile, else Dockerfile)'),
    containerfileText: z
      .string()
      .min(1)
      .max(1024 * 1024)
      .optional()
      .describe('The Containerfile itself, as text (instead of a file in the context)'),
    tags: z
      .array(tagRef)
      .min(1, 'give at least one tag, so the image is not left dangling')
      .max(16)
      .describe('Names to tag the image with, e.g. ["localhost/app:1.0"] (required)'),
    buildArgs: z
      .record(envKey, z.string().max(32 * 1024))
      .default({})
      .describe('Build arguments (ARG values) as a map of name to value'),
    target: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be a stage name')
      .optional()
      .describe('Build up to this stage of a multi-stage Containerfile'),
    pull: z
      .enum(['always', 'missing', 'never', 'newer'])
      .default('missing')
      .describe('When to pull base images: always, missing (default), never, newer'),
    labels: labelsRecord.default({}).describe('Image labels (io.mcp-podman.managed=true is always added)'),
    network: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be host, none, private or a network name')
      .optional()
      .describe(
        'Network for RUN steps: private (the default), none, a network name, or host if the server allows host networking',
      ),
  }),
  annotations: { ...MUTATING, openWorldHint: true },
  async handler(args, ctx) {
    const [contextDir] = args.contextDir
      ? await assertBindable([args.contextDir], ctx.config.bindRoots, 'This build', BUILD_CONTEXT)
      : [];
    const client = await ctx.podman();
    const result = await buildImage(client, {
      contextDir,
      containerfile: args.containerfile,
      containerfileText: args.containerfileText,
      tags: args.tags,
      buildArgs: args.buildArgs,
      target: args.target,
      pull: args.pull,
      labels: args.labels,
      network: buildNetwork(args.network, ctx.config.allowHostNetwork),
      signal: ctx.signal,
      stallMs: ctx.config.limits.registryStallMs,
      maxLogBytes: ctx.config.limits.outputBytes,
      onProgress: (step, message) => ctx.progress(step, undefined, ctx.redactor.scrub(message)),
    });
    return {
      text:
        `Built ${args.tags.join(', ')} (${shortId(result.id)}).\n--- last lines of the build log\n` +
        lastLines(result.log, 15),
      data: { id: result.id, tags: result.tags, log: result.log, truncated: result.truncated },
    };
  },
});

const tag = defineTool({
  name: 'podman_tag',
  title: 'Tag an image',
  description: 'Add a name (tag) to a local image, e.g. to push it to a registry under that name.',
  toolset: 'images',
  input: z.object({
    image: imageRef.describe('Image reference or ID to tag (required)'),
    target: tagRef.describe('New name, e.g. "localhost:5000/team/app:1.0" (tag defaults to latest)'),
  }),
  annotations: { ...MUTATING, idempotentHint: true },
  async handler(args, ctx) {
    const client = await ctx.podman();
    await client.call('POST', imagePath(args.image, '/tag'), {
      query: splitTag(args.target),
      signal: ctx.signal,
      notFound: imageNotFound(args.image),
    });
    return {
      text: `Tagged ${args.image} as ${args.target}.`,
      data: { image: args.image, target: args.target },
    };
  },
});

const untag = defineTool({
  name: 'podman_untag',
  title: 'Remove a tag from an image',
  description:
    'Remove one name (tag) from a local image. The image itself stays, even when this was its last name.',
  toolset: 'images',
  input: z.object({
    image: imageRef.describe('Image reference or ID (required)'),
    ref: tagRef.describe('The name to remove, exactly as the image carries it, e.g. "localhost/app:1.0"'),
  }),
  annotations: DESTRUCTIVE,
  async handler(args, ctx) {
    const client = await ctx.podman();
    try {
      await client.call('POST', imagePath(args.image, '/untag'), {
        query: splitTag(args.ref),
        signal: ctx.signal,
        notFound: imageNotFound(args.image),
      });
    } catch (err) {
      // Podman 4 answers an unknown tag with a bare 500 "tag not known".
      if (isMcpPodmanError(err) && /tag not known/i.test(String(err.details.podman ?? ''))) {
        throw new McpPodmanError(
          'NOT_FOUND',
          `Image "${args.image}" has no name "${args.ref}". Use podman_image_inspect to see its names (RepoTags).`,
          { details: err.details },
        );
      }
      throw err;
    }
    return {
      text: `Removed the name ${args.ref} from ${args.image}.`,
      data: { image: args.image, ref: args.ref },
    };
  },
});

const credentials = z
  .object({
    username: z.string().min(1).max(256).describe('Registry user name'),
    passwordEnv: z
      .string()
      .regex(
        /^MCP_PODMAN_REGISTRY_[A-Z0-9_]+$/,
        'must name an environment variable starting with MCP_PODMAN_REGISTRY_',
      )
      .optional()
      .describe(
        'Name of an environment variable of the mcp-podman server holding the password; only MCP_PODMAN_REGISTRY_* names, so no other server variable can be sent to a registry, and only to the registries the operator bound it to',
      ),
    passwordSecret: objectRef
      .optional()
      .describe(
        'Name of a Podman secret holding the password (needs a Podman that can reveal secrets: 4.5+); only for the registries the operator bound "secret:<name>" to',
      ),
  })
  .strict()
  .refine((c) => (c.passwordEnv === undefined) !== (c.passwordSecret === undefined), {
    message: 'give exactly one of passwordEnv or passwordSecret',
  });

type Credentials = z.infer<typeof credentials>;

/** Resolves a credential reference into the X-Registry-Auth header; the password is remembered for scrubbing. */
async function registryAuth(client: PodmanClient, creds: Credentials, ctx: ToolContext): Promise<string> {
  const password = creds.passwordEnv
    ? passwordFromEnv(creds.passwordEnv)
    : await passwordFromSecret(client, creds.passwordSecret!, ctx.signal);
  ctx.redactor.remember(password);
  // libpod decodes the header with Go's base64.URLEncoding, which wants the padding kept.
  const header = Buffer.from(JSON.stringify({ username: creds.username, password }))
    .toString('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
  ctx.redactor.remember(header);
  return header;
}

function passwordFromEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `The environment variable ${name} is not set in the mcp-podman server's environment. Set it where the server is started, or use passwordSecret.`,
    );
  }
  return value;
}

/**
 * Podman reveals a secret's value over its API only from 4.5 on (GET /libpod/secrets/{name}/json
 * ?showsecret=true answers SecretData). Older versions ignore the parameter; then there is no API
 * route to the value, and we say so rather than read Podman's storage behind its back.
 */
async function passwordFromSecret(client: PodmanClient, name: string, signal: AbortSignal): Promise<string> {
  const secret = await client.json<{ SecretData?: string }>(
    'GET',
    `/libpod/secrets/${encodeURIComponent(name)}/json`,
    {
      query: { showsecret: true },
      signal,
      notFound: {
        code: 'SECRET_NOT_FOUND',
        message: `No secret "${name}". Use podman_secret_list to list secrets, or podman_secret_create to make one.`,
      },
    },
  );
  if (typeof secret.SecretData === 'string' && secret.SecretData) return secret.SecretData;
  const version = await client.ping(signal).catch(() => 'unknown');
  throw new McpPodmanError(
    'UNAVAILABLE',
    `This Podman (API ${version}) cannot reveal a secret's value through its REST API (showsecret arrived in Podman 4.5), ` +
      'so passwordSecret cannot be used here. Put the password in an MCP_PODMAN_REGISTRY_* environment variable of the ' +
      'mcp-podman server and pass its name as passwordEnv, or upgrade Podman.',
    { details: { secret: name, apiVersion: version } },
  );
}

function pushFailed(image: string, destination: string, message: string): McpPodmanError {
  const text = message.trim();
  const details = { podman: text };
  if (/image not known/i.test(text))
    return new McpPodmanError('IMAGE_NOT_FOUND', imageNotFound(image).message, { details });
  if (/unauthorized|authentication required|denied|status 401|status 403/i.test(text)) {
    return new McpPodmanError(
      'UNAUTHORIZED',
      `The registry refused the push of ${destination}: ${text}. Check the credentials (username and the referenced password).`,
      { details },
    );
  }
  const hint = /server gave HTTP response to HTTPS client/i.test(text)
    ? ' For a plain-HTTP registry pass tlsVerify=false.'
    : /connection refused|no such host|i\/o timeout|dial tcp/i.test(text)
      ? ' Check that the registry is reachable from the Podman host.'
      : '';
  return new McpPodmanError('UPSTREAM_ERROR', `Push of ${image} to ${destination} failed: ${text}.${hint}`, {
    details,
  });
}

const push = defineTool({
  name: 'podman_push',
  title: 'Push an image',
  description:
    'Push a local image to a registry. Credentials are given only by reference: a server environment variable ' +
    '(passwordEnv) or a Podman secret (passwordSecret), never as text, and only to the registries the operator ' +
    'bound that reference to (registryCredentials). Sends progress notifications; cancelling the ' +
    'call aborts the push. tlsVerify=false allows a plain-HTTP (local) registry.',
  toolset: 'images',
  input: z.object({
    image: imageRef.describe('Local image reference or ID to push (required)'),
    destination: tagRef
      .optional()
      .describe('Where to push, e.g. "registry.example.com/team/app:1.0" (default: the image name itself)'),
    tlsVerify: z
      .boolean()
      .default(true)
      .describe('Require HTTPS and verify certificates (false for a local plain-HTTP registry)'),
    credentials: credentials
      .optional()
      .describe('Registry login, by reference only: {username, passwordEnv} or {username, passwordSecret}'),
  }),
  annotations: { ...DESTRUCTIVE, openWorldHint: true },
  async handler(args, ctx) {
    const destination = args.credentials
      ? credentialedDestination(args.image, args.destination)
      : (args.destination ?? args.image);
    if (args.credentials) {
      assertCredentialBound({
        creds: args.credentials,
        destination,
        bindings: ctx.config.registryCredentials,
        tlsVerify: args.tlsVerify,
      });
    }
    const client = await ctx.podman();
    const auth = args.credentials ? await registryAuth(client, args.credentials, ctx) : undefined;
    const lines = registryStream<{ stream?: string; error?: string }>(
      client,
      'POST',
      imagePath(args.image, '/push'),
      {
        query: { destination, tlsVerify: args.tlsVerify, quiet: false },
        headers: auth ? { 'X-Registry-Auth': auth } : {},
        signal: ctx.signal,
        notFound: imageNotFound(args.image),
        stall: {
          stallMs: ctx.config.limits.registryStallMs,
          action: `The push of ${args.image} to ${destination}`,
          image: destination,
        },
      },
    );
    const log: string[] = [];
    try {
      for await (const line of lines) {
        if (line.error) throw pushFailed(args.image, destination, ctx.redactor.scrub(line.error));
        const message = ctx.redactor.scrub(line.stream?.trim() ?? '');
        if (!message) continue;
        log.push(message);
        await ctx.progress(log.length, undefined, message);
      }
    } catch (err) {
      if (ctx.signal.aborted)
        throw new McpPodmanError('CANCELLED', `The push of ${args.image} was cancelled.`, { cause: err });
      throw err;
    }
    return {
      text: `Pushed ${args.image} to ${destination}.`,
      data: { image: args.image, destination, log: log.slice(-20) },
    };
  },
});

interface HistoryLayer {
  Id: string;
  Created: number;
  CreatedBy?: string;
  Tags?: string[] | null;
  Size: number;
  Comment?: string;
}

const history = defineTool({
  name: 'podman_image_history',
  title: 'Image history',
  description: 'Show the layers of an image, newest first: the instruction that made each, its size and age.',
  toolset: 'images',
  input: z.object({
    image: imageRef.describe('Image reference or ID (required)'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(100)
      .describe('Maximum number of layers to return (default 100)'),
  }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const all = await client.json<HistoryLayer[]>('GET', imagePath(args.image, '/history'), {
      signal: ctx.signal,
      notFound: imageNotFound(args.image),
    });
    const layers = all.slice(0, args.limit).map((l) => ({
      id: l.Id,
      created: l.Created,
      createdBy: l.CreatedBy ?? '',
      tags: l.Tags ?? [],
      size: l.Size,
      comment: l.Comment ?? '',
    }));
    const text =
      table(
        ['ID', 'CREATED', 'CREATED BY', 'SIZE'],
        layers.map((l) => [
          l.id === '<missing>' ? l.id : shortId(l.id),
          ago(l.created),
          l.createdBy,
          bytes(l.size),
        ]),
      ) + truncationNote(layers.length, all.length, 'raise limit');
    return {
      text,
      data: {
        image: args.image,
        layers,
        count: layers.length,
        total: all.length,
        truncated: all.length > layers.length,
      },
    };
  },
});

interface ListedImage {
  Id: string;
  ParentId?: string;
  RepoTags?: string[] | null;
  Names?: string[] | null;
  Size: number;
  Containers?: number;
}

/**
 * What POST /libpod/images/prune would remove, worked out the way Podman does it: candidates are
 * the images matching the filters with no containers (untagged ones only, unless `all`). With
 * `all`, every candidate goes. Without it, an untagged image goes once all its children are gone,
 * and removing an image also removes its untagged parent once that has no children left; Podman
 * repeats this until nothing changes.
 */
async function prunePlan(
  client: PodmanClient,
  options: { all: boolean; filters: Record<string, string[]>; signal: AbortSignal },
): Promise<ListedImage[]> {
  const [everything, matching] = await Promise.all([
    client.json<ListedImage[]>('GET', '/libpod/images/json', {
      query: { all: true },
      signal: options.signal,
    }),
    client.json<ListedImage[]>('GET', '/libpod/images/json', {
      query: { all: true, filters: { ...options.filters, containers: ['false'], readonly: ['false'] } },
      signal: options.signal,
    }),
  ]);
  const named = (i: ListedImage) => (i.Names ?? i.RepoTags ?? []).length > 0;
  const candidates = new Set(matching.filter((i) => options.all || !named(i)).map((i) => i.Id));
  const children = new Map<string, string[]>();
  for (const i of everything) {
    if (i.ParentId) children.set(i.ParentId, [...(children.get(i.ParentId) ?? []), i.Id]);
  }
  const gone = new Set(options.all ? candidates : []);
  for (let changed = true; changed; ) {
    changed = false;
    for (const i of everything) {
      if (gone.has(i.Id) || named(i)) continue;
      const kids = children.get(i.Id) ?? [];
      if (!kids.every((k) => gone.has(k))) continue;
      // A dangling candidate goes; so does an untagged parent of something that went.
      if (candidates.has(i.Id) || kids.length > 0) {
        gone.add(i.Id);
        changed = true;
      }
    }
  }
  return everything.filter((i) => gone.has(i.Id));
}

const prune = defineTool({
  name: 'podman_image_prune',
  title: 'Remove unused images',
  description:
    'Remove dangling images (untagged and unused), or with all=true every image no container uses. dryRun=true ' +
    'only lists what would be removed. Filters narrow it (label, until).',
  toolset: 'images',
  input: z.object({
    all: z
      .boolean()
      .default(false)
      .describe('Also remove tagged images that no container uses (default false)'),
    dryRun: z.boolean().default(false).describe('List what would be removed without removing anything'),
    filters: z
      .object({
        label: z
          .array(z.string().min(1).max(4096))
          .max(16)
          .optional()
          .describe('Only images with these labels: "key" or "key=value" (all must match)'),
        until: z
          .string()
          .regex(/^[\w:.+-]{1,64}$/, 'must be a timestamp or a duration such as 24h')
          .optional()
          .describe('Only images created before this timestamp or duration ago, e.g. "24h"'),
      })
      .strict()
      .default({})
      .describe('Narrow what is pruned'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(100)
      .describe('Maximum number of images listed in the result (default 100; all are still pruned)'),
  }),
  annotations: DESTRUCTIVE,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const filters: Record<string, string[]> = {};
    if (args.filters.label?.length) filters.label = args.filters.label;
    if (args.filters.until) filters.until = [args.filters.until];
    const plan = await prunePlan(client, { all: args.all, filters, signal: ctx.signal });
    const known = new Map(plan.map((i) => [i.Id, i]));
    let images: { id: string; tags: string[]; size: number }[];
    if (args.dryRun) {
      images = plan.map((i) => ({ id: i.Id, tags: i.RepoTags ?? [], size: i.Size }));
    } else {
      const removed = await client.json<{ Id: string; Size?: number; Err?: string }[] | null>(
        'POST',
        '/libpod/images/prune',
        {
          query: { all: args.all, filters: Object.keys(filters).length ? filters : undefined },
          signal: ctx.signal,
        },
      );
      images = (removed ?? []).map((r) => ({
        id: r.Id,
        tags: known.get(r.Id)?.RepoTags ?? [],
        size: r.Size ?? known.get(r.Id)?.Size ?? 0,
      }));
    }
    const total = images.reduce((sum, i) => sum + i.size, 0);
    const shown = images.slice(0, args.limit);
    const verb = args.dryRun ? 'Would remove' : 'Removed';
    const text =
      (images.length === 0
        ? `${args.dryRun ? 'Nothing would be removed' : 'Nothing to remove'}.`
        : `${verb} ${images.length} image(s), ${bytes(total)}:\n` +
          table(
            ['ID', 'TAGS', 'SIZE'],
            shown.map((i) => [shortId(i.id), i.tags.join(', ') || '<none>', bytes(i.size)]),
          )) + truncationNote(shown.length, images.length, 'raise limit to see them all');
    return {
      text,
      data: {
        dryRun: args.dryRun,
        images: shown,
        count: images.length,
        sizeBytes: total,
        truncated: images.length > shown.length,
      },
    };
  },
});

export const imageBuildTools: ToolDef[] = [build, tag, untag, push, history, prune];
