import { z } from 'zod';
import { McpPodmanError } from '../errors.js';
import { registryStream } from '../podman/registry-stream.js';
import { libpodObject } from './libpod-object.js';
import { ago, bytes, shortId, table, truncationNote } from './render.js';
import { filtersOf, imageRef } from './schemas.js';
import { DESTRUCTIVE, defineTool, MUTATING, READ_ONLY, type ToolDef } from './types.js';

const imageKind = libpodObject(
  'images',
  'IMAGE_NOT_FOUND',
  (ref) =>
    `No image "${ref}" in local storage. Use podman_images to list images, or podman_pull to fetch it.`,
);
export const imageNotFound = imageKind.notFound;
export const imagePath = imageKind.path;

interface ListedImage {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created: number;
  Size: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
  Dangling?: boolean;
}

const images = defineTool({
  name: 'podman_images',
  title: 'List images',
  description: 'List local images. Filter by reference (e.g. "nginx", "docker.io/library/*") or label.',
  toolset: 'images',
  input: z.object({
    all: z.boolean().default(false).describe('Show all images including intermediate (default false)'),
    filters: z
      .object({
        reference: z
          .string()
          .max(512)
          .optional()
          .describe('Filter by image reference (name, name:tag, wildcards allowed)'),
        label: z.string().max(4096).optional().describe('Filter by label: "key" or "key=value"'),
      })
      .strict()
      .default({})
      .describe('Filter images by criteria'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(100)
      .describe('Maximum number of images to return (default 100)'),
  }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const filters = filtersOf({ reference: args.filters.reference, label: args.filters.label });
    const list = await client.json<ListedImage[]>('GET', '/libpod/images/json', {
      query: { all: args.all, filters },
      signal: ctx.signal,
    });
    list.sort((a, b) => b.Created - a.Created);
    const shown = list.slice(0, args.limit);
    const out = shown.map((i) => ({
      id: i.Id,
      tags: i.RepoTags ?? [],
      digests: i.RepoDigests ?? [],
      created: i.Created,
      size: i.Size,
      labels: i.Labels ?? {},
      containers: i.Containers ?? 0,
      dangling: i.Dangling ?? (i.RepoTags ?? []).length === 0,
    }));
    const text =
      (out.length === 0
        ? `No images${filters ? ' match the filters' : ''}.`
        : table(
            ['IMAGE', 'ID', 'CREATED', 'SIZE'],
            out.map((i) => [i.tags[0] ?? '<none>', shortId(i.id), ago(i.created), bytes(i.size)]),
          )) + truncationNote(shown.length, list.length, 'raise limit or add filters');
    return {
      text,
      data: { images: out, count: out.length, total: list.length, truncated: list.length > shown.length },
    };
  },
});

const pull = defineTool({
  name: 'podman_pull',
  title: 'Pull an image',
  description:
    'Pull an image from a registry. Sends progress notifications while pulling when the client asks for them; ' +
    'cancelling the call aborts the pull. tlsVerify=false allows a plain-HTTP (local) registry.',
  toolset: 'images',
  input: z.object({
    image: imageRef.describe('Image to pull (name:tag format) (required)'),
    tlsVerify: z
      .boolean()
      .default(true)
      .describe('Require HTTPS and verify certificates (false for a local plain-HTTP registry)'),
    platform: z
      .string()
      .regex(/^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/, 'must be os/arch[/variant]')
      .optional()
      .describe('Platform to pull, e.g. linux/arm64'),
  }),
  annotations: { ...MUTATING, idempotentHint: true, openWorldHint: true },
  async handler(args, ctx) {
    const client = await ctx.podman();
    const [os, arch, variant] = args.platform?.split('/') ?? [];
    const lines = registryStream<{ stream?: string; error?: string; images?: string[]; id?: string }>(
      client,
      'POST',
      '/libpod/images/pull',
      {
        query: {
          reference: args.image,
          tlsVerify: args.tlsVerify,
          quiet: false,
          policy: 'always',
          OS: os,
          Arch: arch,
          Variant: variant,
        },
        signal: ctx.signal,
        stall: {
          stallMs: ctx.config.limits.registryStallMs,
          action: `The pull of "${args.image}"`,
          image: args.image,
        },
      },
    );
    let step = 0;
    let images: string[] = [];
    let id = '';
    const log: string[] = [];
    try {
      for await (const line of lines) {
        // A failed pull arrives as an {"error"} line inside an HTTP 200 stream.
        if (line.error) {
          const notFound =
            /manifest unknown|not found|name unknown|no such host|repository .* not found/i.test(line.error);
          throw new McpPodmanError(
            notFound ? 'IMAGE_NOT_FOUND' : 'PODMAN_ERROR',
            notFound
              ? `Could not pull "${args.image}": the registry has no such image (${line.error.trim()}). Check the name and tag.`
              : `Pull of "${args.image}" failed: ${line.error.trim()}${/http: server gave HTTP response to HTTPS client/.test(line.error) ? '. For a plain-HTTP registry pass tlsVerify=false.' : ''}`,
            { details: { podman: line.error } },
          );
        }
        if (line.stream) {
          const message = line.stream.trim();
          if (message) {
            log.push(message);
            await ctx.progress(++step, undefined, message);
          }
        }
        if (line.images) images = line.images;
        if (line.id) id = line.id;
      }
    } catch (err) {
      if (ctx.signal.aborted)
        throw new McpPodmanError('CANCELLED', `The pull of "${args.image}" was cancelled.`, { cause: err });
      throw err;
    }
    if (!id)
      throw new McpPodmanError(
        'PODMAN_ERROR',
        `Podman ended the pull of "${args.image}" without an image id.`,
        { details: { log: log.slice(-10) } },
      );
    return {
      text: `Pulled ${args.image} (${shortId(id)}).`,
      data: { image: args.image, id, images, log: log.slice(-20) },
    };
  },
});

const imageInspect = defineTool({
  name: 'podman_image_inspect',
  title: 'Inspect an image',
  description:
    'Get detailed information on an image: tags, digest, size, architecture, entrypoint, env, labels, exposed ports.',
  toolset: 'images',
  input: z.object({ image: imageRef.describe('Image reference or ID (required)') }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const info = await client.json<
      Record<string, unknown> & {
        Id: string;
        RepoTags?: string[];
        Size?: number;
        Architecture?: string;
        Os?: string;
        Created?: string;
        Config?: {
          Env?: string[];
          Entrypoint?: string[];
          Cmd?: string[];
          ExposedPorts?: Record<string, unknown>;
          Labels?: Record<string, string>;
        };
      }
    >('GET', imagePath(args.image, '/json'), { signal: ctx.signal, notFound: imageNotFound(args.image) });
    const { env, masked } = ctx.redactor.maskEnvList(info.Config?.Env);
    const image = { ...info, Config: { ...info.Config, Env: env } };
    const text = [
      `Image ${info.RepoTags?.[0] ?? '<none>'} (${shortId(info.Id)})`,
      `  created: ${info.Created ?? '-'}`,
      `  size:    ${bytes(info.Size)}`,
      `  os/arch: ${info.Os ?? '?'}/${info.Architecture ?? '?'}`,
      `  entrypoint: ${JSON.stringify(info.Config?.Entrypoint ?? [])}  cmd: ${JSON.stringify(info.Config?.Cmd ?? [])}`,
      info.Config?.ExposedPorts ? `  exposes: ${Object.keys(info.Config.ExposedPorts).join(', ')}` : '',
      masked.length ? `  (${masked.length} env values masked: ${masked.join(', ')})` : '',
    ]
      .filter(Boolean)
      .join('\n');
    return { text, data: { image, redacted: masked.map((k) => `Config.Env.${k}`) } };
  },
});

const imageRm = defineTool({
  name: 'podman_image_rm',
  title: 'Remove an image',
  description:
    'Remove one image by reference or ID. An image used by containers needs force=true (which also removes those containers).',
  toolset: 'images',
  input: z.object({
    image: imageRef.describe('Image reference or ID to remove (exactly one; no wildcards)'),
    force: z
      .boolean()
      .default(false)
      .describe('Remove even if containers use it (those containers are removed too)'),
  }),
  annotations: DESTRUCTIVE,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const res = await client.json<{
      Deleted?: string[] | null;
      Untagged?: string[] | null;
      Errors?: unknown[] | null;
    }>('DELETE', imagePath(args.image), {
      query: { force: args.force },
      signal: ctx.signal,
      notFound: imageNotFound(args.image),
      conflict: {
        message: `Image "${args.image}" is in use by a container. Remove the container first (podman_rm), or pass force=true.`,
      },
    });
    const deleted = res?.Deleted ?? [];
    const untagged = res?.Untagged ?? [];
    return {
      text: `Removed ${args.image}: ${untagged.length} tag(s) untagged, ${deleted.length} image(s) deleted.`,
      data: { image: args.image, deleted, untagged },
    };
  },
});

export const imageTools: ToolDef[] = [images, pull, imageInspect, imageRm];
