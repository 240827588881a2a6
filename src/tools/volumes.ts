import { z } from 'zod';
import { isMcpPodmanError, McpPodmanError } from '../errors.js';
import type { PodmanClient } from '../podman/client.js';
import { MANAGED_LABELS } from '../podman/labels.js';
import { checkedVolumeOptions } from './bind-roots.js';
import { libpodObject } from './libpod-object.js';
import { containerNames, forceWithContainers } from './networks.js';
import { table, truncationNote } from './render.js';
import { labelsRecord, objectName, objectRef } from './schemas.js';
import { DESTRUCTIVE, defineTool, MUTATING, READ_ONLY, type ToolDef } from './types.js';

const volumeKind = libpodObject(
  'volumes',
  'VOLUME_NOT_FOUND',
  (name) => `No volume "${name}". Use podman_volume_list to list volumes.`,
);
export const volumeNotFound = volumeKind.notFound;
const volumePath = volumeKind.path;

interface PodmanVolume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
  Scope?: string;
  MountCount?: number;
}

/** "key" or "key=value", as Podman's label filters take them. */
const labelFilter = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[^=\s][^=]*(?:=.*)?$/s, 'must be "key" or "key=value"');

const labelFilters = z
  .array(labelFilter)
  .max(32)
  .default([])
  .describe('Labels the volume must carry, each "key" or "key=value" (all must match)');

function hasLabels(labels: Record<string, string> | null | undefined, wanted: string[]): boolean {
  return wanted.every((w) => {
    const i = w.indexOf('=');
    const key = i < 0 ? w : w.slice(0, i);
    const value = labels?.[key];
    return value !== undefined && (i < 0 || value === w.slice(i + 1));
  });
}

interface VolumeQuery {
  name?: string;
  label: string[];
  driver?: string;
  /** true: only volumes no container uses; false: only volumes in use. */
  unused?: boolean;
}

/**
 * Lists volumes with whether a container uses them, filtered here. Podman 4.3 ORs different filter
 * keys for volumes (label=a plus dangling=true also returned labelled volumes in use), so only the
 * "dangling" question goes to Podman, alone, and every other filter is applied to its answer.
 */
async function listVolumes(client: PodmanClient, query: VolumeQuery, signal: AbortSignal) {
  const [all, dangling] = await Promise.all([
    client.json<PodmanVolume[]>('GET', '/libpod/volumes/json', { signal }),
    client.json<PodmanVolume[]>('GET', '/libpod/volumes/json', {
      query: { filters: { dangling: ['true'] } },
      signal,
    }),
  ]);
  const unused = new Set(dangling.map((v) => v.Name));
  return all
    .filter(
      (v) =>
        (query.name === undefined || v.Name.includes(query.name)) &&
        (query.driver === undefined || v.Driver === query.driver) &&
        (query.unused === undefined || unused.has(v.Name) === query.unused) &&
        hasLabels(v.Labels, query.label),
    )
    .map((v) => ({
      name: v.Name,
      driver: v.Driver,
      mountpoint: v.Mountpoint,
      created: v.CreatedAt,
      labels: v.Labels ?? {},
      inUse: !unused.has(v.Name),
    }));
}

const create = defineTool({
  name: 'podman_volume_create',
  title: 'Create a volume',
  description:
    'Create a named volume. Mount it with podman_run volumes ["NAME:/path"]. The volume is labelled io.mcp-podman.managed=true.',
  toolset: 'volumes',
  input: z.object({
    name: objectName.describe('Volume name (required)'),
    driver: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_./:-]*$/, 'must be a volume driver name such as local')
      .max(253)
      .default('local')
      .describe('Volume driver (default local)'),
    labels: labelsRecord.default({}).describe('Labels to set (io.mcp-podman.managed=true is always added)'),
    options: z
      .record(
        z.string().regex(/^[a-zA-Z0-9_.-]+$/, 'must be an option name such as type, device or o'),
        z.string().max(4096),
      )
      .default({})
      .describe(
        'Driver options, e.g. {"type": "tmpfs", "device": "tmpfs", "o": "nodev"} for the local driver',
      ),
  }),
  annotations: MUTATING,
  async handler(args, ctx) {
    const options = await checkedVolumeOptions(
      args.options,
      { type: 'type', device: 'device', o: 'o' },
      ctx.config.bindRoots,
      'This volume',
    );
    const client = await ctx.podman();
    const created = await client.json<PodmanVolume>('POST', '/libpod/volumes/create', {
      body: {
        Name: args.name,
        Driver: args.driver,
        Labels: { ...args.labels, ...MANAGED_LABELS },
        Options: options,
      },
      signal: ctx.signal,
      conflict: {
        message: `A volume named "${args.name}" already exists. Use it as it is, or remove it with podman_volume_rm first.`,
      },
    });
    return {
      text: `Created volume ${created.Name} (driver ${created.Driver}) at ${created.Mountpoint}.`,
      data: { volume: created },
    };
  },
});

const list = defineTool({
  name: 'podman_volume_list',
  title: 'List volumes',
  description:
    'List volumes and whether a container uses them. Filters combine (all must match); at most `limit` are returned.',
  toolset: 'volumes',
  input: z.object({
    filters: z
      .object({
        name: z.string().max(253).optional().describe('Keep volumes whose name contains this text'),
        label: labelFilters,
        driver: z.string().max(253).optional().describe('Keep volumes of this driver'),
        dangling: z
          .boolean()
          .optional()
          .describe('true: only volumes no container uses; false: only volumes in use'),
      })
      .strict()
      .default({ label: [] })
      .describe('Filter volumes by criteria'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(100)
      .describe('Maximum number of volumes (default 100, max 500)'),
  }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const { dangling, ...rest } = args.filters;
    const all = await listVolumes(client, { ...rest, unused: dangling }, ctx.signal);
    const volumes = all.slice(0, args.limit);
    const filtered = Boolean(rest.name || rest.driver || rest.label.length || dangling !== undefined);
    const text =
      (volumes.length === 0
        ? `No volumes${filtered ? ' match the filters' : ''}.`
        : table(
            ['NAME', 'DRIVER', 'IN USE', 'CREATED'],
            volumes.map((v) => [v.name, v.driver, v.inUse ? 'yes' : 'no', v.created]),
          )) + truncationNote(volumes.length, all.length, 'raise limit or add filters');
    return {
      text,
      data: { volumes, count: volumes.length, total: all.length, truncated: all.length > volumes.length },
    };
  },
});

const inspect = defineTool({
  name: 'podman_volume_inspect',
  title: 'Inspect a volume',
  description:
    'Get the details of a volume (driver, mount point, labels, options) and the containers using it.',
  toolset: 'volumes',
  input: z.object({ volume: objectRef.describe('Volume name (required)') }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const volume = await client.json<PodmanVolume>('GET', volumePath(args.volume, '/json'), {
      signal: ctx.signal,
      notFound: volumeNotFound(args.volume),
    });
    const usedBy = await containerNames(client, { volume: [volume.Name] }, ctx.signal);
    const labels = Object.entries(volume.Labels ?? {}).map(([k, v]) => `${k}=${v}`);
    const text = [
      `Volume ${volume.Name}`,
      `  driver:     ${volume.Driver}`,
      `  mountpoint: ${volume.Mountpoint}`,
      `  created:    ${volume.CreatedAt}`,
      labels.length ? `  labels:     ${labels.join(', ')}` : '',
      `  used by:    ${usedBy.length ? usedBy.join(', ') : 'no container'}`,
    ]
      .filter(Boolean)
      .join('\n');
    return { text, data: { volume, usedBy } };
  },
});

const rm = defineTool({
  name: 'podman_volume_rm',
  title: 'Remove a volume',
  description:
    'Remove one volume and its data. A volume used by containers needs force=true, which removes those containers too.',
  toolset: 'volumes',
  input: z.object({
    volume: objectRef.describe('Volume name to remove (exactly one; no wildcards)'),
    force: forceWithContainers,
  }),
  annotations: DESTRUCTIVE,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const usedBy = args.force ? await containerNames(client, { volume: [args.volume] }, ctx.signal) : [];
    await client.call('DELETE', volumePath(args.volume), {
      query: { force: args.force },
      signal: ctx.signal,
      notFound: volumeNotFound(args.volume),
      conflict: {
        message: `Volume "${args.volume}" is in use by a container. Remove that container first (podman_volume_inspect shows which), or pass force=true, which removes it too.`,
      },
    });
    return {
      text: `Removed volume ${args.volume}.${usedBy.length ? ` Removed the containers using it: ${usedBy.join(', ')}.` : ''}`,
      data: { volume: args.volume, removedContainers: usedBy },
    };
  },
});

const SHOWN_NAMES = 50;

const prune = defineTool({
  name: 'podman_volume_prune',
  title: 'Remove unused volumes',
  description:
    'Remove every volume no container uses (running or stopped), or only those carrying the given labels. ' +
    'dryRun=true lists exactly what would be removed and removes nothing. Their data is lost.',
  toolset: 'volumes',
  input: z.object({
    filters: z
      .object({ label: labelFilters })
      .strict()
      .default({ label: [] })
      .describe('Only prune volumes matching these criteria'),
    dryRun: z.boolean().default(false).describe('List what would be removed without removing anything'),
  }),
  annotations: DESTRUCTIVE,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const candidates = (
      await listVolumes(client, { label: args.filters.label, unused: true }, ctx.signal)
    ).map((v) => v.name);
    const shown = (names: string[]) =>
      names.slice(0, SHOWN_NAMES).join(', ') +
      (names.length > SHOWN_NAMES ? `, and ${names.length - SHOWN_NAMES} more` : '');
    if (args.dryRun) {
      return {
        text: candidates.length
          ? `Would remove ${candidates.length} unused volume(s): ${shown(candidates)}.`
          : 'No unused volumes match; nothing would be removed.',
        data: { dryRun: true, volumes: candidates, count: candidates.length },
      };
    }
    // Each candidate is removed on its own and without force, so a volume a container started using
    // since the listing is kept, and what is removed is exactly what a dry run would have listed.
    const removed: string[] = [];
    const skipped: { volume: string; reason: string }[] = [];
    for (const [i, name] of candidates.entries()) {
      if (ctx.signal.aborted)
        throw new McpPodmanError(
          'CANCELLED',
          `Pruning was cancelled after removing ${removed.length} volume(s).`,
          {
            details: { removed },
          },
        );
      try {
        await client.call('DELETE', volumePath(name), { notFound: volumeNotFound(name) });
        removed.push(name);
      } catch (err) {
        // One volume that cannot go does not stop the others; each outcome is reported.
        if (!isMcpPodmanError(err)) throw err;
        const reasons: Record<string, string> = { CONFLICT: 'now in use', VOLUME_NOT_FOUND: 'already gone' };
        skipped.push({ volume: name, reason: reasons[err.code] ?? err.message });
      }
      await ctx.progress(i + 1, candidates.length, name);
    }
    return {
      text:
        (removed.length
          ? `Removed ${removed.length} unused volume(s): ${shown(removed)}.`
          : 'No unused volumes matched; nothing was removed.') +
        (skipped.length ? ` Kept ${skipped.map((s) => `${s.volume} (${s.reason})`).join(', ')}.` : ''),
      data: { dryRun: false, volumes: removed, count: removed.length, skipped },
    };
  },
});

export const volumeTools: ToolDef[] = [create, list, inspect, rm, prune];
