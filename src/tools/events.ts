import { z } from 'zod';
import { McpPodmanError } from '../errors.js';
import { jsonLines } from '../podman/streams.js';
import { bytes, shortId, table, truncationNote } from './render.js';
import { filtersOf } from './schemas.js';
import { defineTool, READ_ONLY, type ToolDef } from './types.js';

const TIME_RE =
  /^(?:\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2})?)?|\d{1,12}(?:\.\d{1,9})?|(?:\d+(?:\.\d+)?(?:ms|s|m|h))+)$/;
const time = z
  .string()
  .max(64)
  .regex(TIME_RE, 'must be an RFC 3339 time, a Unix timestamp, or a duration ago such as "10m" or "1h30m"');

/** A time argument as Unix seconds: durations count back from now (Docker's meaning). */
function unixSeconds(value: string, now: number): number {
  if (/^\d{1,12}(?:\.\d+)?$/.test(value)) return Number(value);
  const duration = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (duration.length && duration.map((m) => m[0]).join('') === value) {
    const unit = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;
    return now - duration.reduce((sum, m) => sum + Number(m[1]) * unit[m[2] as keyof typeof unit], 0);
  }
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed))
    throw new McpPodmanError('INVALID_PARAMS', `"${value}" is not a time. Use RFC 3339 or "10m".`);
  return parsed / 1000;
}

interface PodmanEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  from?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

function secondsOf(event: PodmanEvent): number {
  return event.timeNano !== undefined ? event.timeNano / 1e9 : (event.time ?? 0);
}

const events = defineTool({
  name: 'podman_events',
  title: 'Recent Podman events',
  description:
    'Recent Podman events (container, image, pod, volume, network, system) between since and until, newest kept ' +
    'when more than `limit` match. Filter by type, event, container, image or label. Never streams: the call ends.',
  toolset: 'system',
  input: z.object({
    since: time
      .default('10m')
      .describe('Events after this time: RFC 3339, Unix seconds, or a duration ago (default "10m")'),
    until: time.optional().describe('Events up to this time (default now); same forms as since'),
    type: z
      .enum(['container', 'image', 'pod', 'volume', 'network', 'system'])
      .optional()
      .describe('Only events about this kind of object'),
    event: z
      .string()
      .regex(/^[a-z_-]{1,32}$/, 'must be an event name such as start, die, create, remove or pull')
      .optional()
      .describe('Only this event, e.g. start, died, create, remove, pull'),
    container: z.string().max(253).optional().describe('Only events of this container (name or id)'),
    image: z.string().max(512).optional().describe('Only events of this image (name or id)'),
    label: z
      .string()
      .max(4096)
      .optional()
      .describe('Only events of objects with this label: "key" or "key=value"'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(100)
      .describe('Most events to return (default 100, max 1000)'),
  }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const now = Date.now() / 1000;
    const since = unixSeconds(args.since, now);
    const until = args.until === undefined ? now : unixSeconds(args.until, now);
    if (until < since)
      throw new McpPodmanError('INVALID_PARAMS', 'until is before since; swap or widen them.');
    const client = await ctx.podman();
    // Podman 4 stops reading its event log as soon as `until` passes, so an `until` in the past can
    // return nothing at all. Ask up to a moment from now (which also ends the call) and cut here.
    const res = await client.request('GET', '/libpod/events', {
      query: {
        stream: false,
        since: since.toFixed(3),
        until: String(Math.ceil(now) + 1),
        filters: filtersOf({
          type: args.type,
          event: args.event,
          container: args.container,
          image: args.image,
          label: args.label,
        }),
      },
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(30_000)]),
    });
    const kept: PodmanEvent[] = [];
    let matched = 0;
    for await (const event of jsonLines<PodmanEvent>(res.body)) {
      const at = secondsOf(event);
      if (at < since || at > until) continue;
      matched++;
      kept.push(event);
      if (kept.length > args.limit) kept.shift();
    }
    const shown = kept.map((e) => ({
      time: new Date(Math.floor(secondsOf(e) * 1000)).toISOString(),
      type: e.Type ?? '',
      action: e.Action ?? e.status ?? '',
      id: e.Actor?.ID ?? e.id ?? '',
      name: e.Actor?.Attributes?.name ?? '',
      image: e.Actor?.Attributes?.image || e.from || undefined,
      attributes: e.Actor?.Attributes ?? {},
    }));
    const text =
      (shown.length === 0
        ? 'No events match.'
        : table(
            ['TIME', 'TYPE', 'EVENT', 'ID', 'NAME'],
            shown.map((e) => [e.time, e.type, e.action, shortId(e.id), e.name]),
          )) +
      truncationNote(shown.length, matched, 'the newest are shown; narrow with since, until or filters');
    return {
      text,
      data: { events: shown, count: shown.length, total: matched, truncated: matched > shown.length },
    };
  },
});

interface DiskUsage {
  Images?: {
    Repository: string;
    Tag: string;
    ImageID: string;
    Size: number;
    SharedSize: number;
    UniqueSize: number;
    Containers: number;
  }[];
  Containers?: {
    ContainerID: string;
    Image: string;
    Size: number;
    RWSize: number;
    Status: string;
    Names: string;
  }[];
  Volumes?: { VolumeName: string; Links: number; Size: number; ReclaimableSize: number }[];
}

const df = defineTool({
  name: 'podman_system_df',
  title: 'Disk usage',
  description:
    'Disk space used by images, containers and volumes: totals, what is reclaimable, and the largest of each ' +
    '(at most `limit` per kind).',
  toolset: 'system',
  input: z.object({
    limit: z
      .number()
      .int()
      .min(1)
      .max(200)
      .default(20)
      .describe('Most items listed per kind, largest first (default 20)'),
  }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    const usage = await client.json<DiskUsage>('GET', '/libpod/system/df', { signal: ctx.signal });
    const images = (usage.Images ?? []).map((i) => ({
      image: i.Repository === '<none>' ? shortId(i.ImageID) : `${i.Repository}:${i.Tag}`,
      id: i.ImageID,
      size: i.Size,
      uniqueSize: i.UniqueSize,
      sharedSize: i.SharedSize,
      containers: i.Containers,
    }));
    const containers = (usage.Containers ?? []).map((c) => ({
      name: c.Names,
      id: c.ContainerID,
      image: c.Image,
      size: c.Size,
      rwSize: c.RWSize,
      status: c.Status,
    }));
    const volumes = (usage.Volumes ?? []).map((v) => ({
      name: v.VolumeName,
      links: v.Links,
      size: v.Size,
      reclaimable: v.ReclaimableSize,
    }));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const summary = {
      images: {
        total: images.length,
        active: images.filter((i) => i.containers > 0).length,
        // Summed the way `podman system df` sums them (layers shared between images count each time).
        size: sum(images.map((i) => i.size)),
        reclaimable: sum(images.filter((i) => i.containers === 0).map((i) => i.size)),
      },
      containers: {
        total: containers.length,
        active: containers.filter((c) => c.status === 'running').length,
        size: sum(containers.map((c) => c.rwSize)),
        reclaimable: sum(containers.filter((c) => c.status !== 'running').map((c) => c.rwSize)),
      },
      volumes: {
        total: volumes.length,
        active: volumes.filter((v) => v.links > 0).length,
        size: sum(volumes.map((v) => v.size)),
        reclaimable: sum(volumes.map((v) => v.reclaimable)),
      },
    };
    const largest = <T extends { size: number }>(xs: T[]) =>
      [...xs].sort((a, b) => b.size - a.size).slice(0, args.limit);
    const shown = { images: largest(images), containers: largest(containers), volumes: largest(volumes) };
    const text = [
      table(
        ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
        Object.entries(summary).map(([kind, s]) => [
          kind,
          s.total,
          s.active,
          bytes(s.size),
          bytes(s.reclaimable),
        ]),
      ),
      shown.images.length
        ? `\nLargest images:\n${table(
            ['IMAGE', 'SIZE', 'CONTAINERS'],
            shown.images.map((i) => [i.image, bytes(i.size), i.containers]),
          )}`
        : '',
      shown.volumes.length
        ? `\nLargest volumes:\n${table(
            ['VOLUME', 'SIZE', 'LINKS'],
            shown.volumes.map((v) => [v.name, bytes(v.size), v.links]),
          )}`
        : '',
    ].join('');
    const truncated =
      images.length > shown.images.length ||
      containers.length > shown.containers.length ||
      volumes.length > shown.volumes.length;
    return { text, data: { summary, ...shown, truncated } };
  },
});

export const eventAndDiskTools: ToolDef[] = [events, df];
