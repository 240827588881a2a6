import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { App } from '../server/app.js';
import { type ApiRoute, defineRoute, type ResponseDoc } from './route-kit.js';
import type { ServiceManager } from './services/manager.js';
import {
  CreateServiceSchema,
  ServiceSchema,
  type StartServiceRequest,
  StartServiceSchema,
  serviceName,
} from './services/model.js';
import { TemplateViewSchema } from './templates.js';

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string() }) })
  .meta({ id: 'Error' });

const MAX_PENDING_EVENTS = 1000;

const nameParams = z.object({ name: serviceName });
const templateParams = z.object({ name: z.string().min(1).max(128).describe('Template name') });

const logsQuery = z.object({
  tail: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(100)
    .describe('Lines from the end of each replica log'),
  since: z
    .string()
    .regex(/^[\w:.+-]{1,64}$/, 'must be an RFC 3339 time, a Unix timestamp or a duration such as 10m')
    .optional()
    .describe('Only lines since this time or duration'),
  follow: z.enum(['true', 'false']).default('false').describe('true: stream new lines as text/event-stream'),
});

const LogLinesSchema = z
  .object({
    lines: z.array(z.object({ replica: z.string(), line: z.string() })),
    truncated: z.boolean().optional(),
  })
  .meta({ id: 'LogLines' });

const ActivitySchema = z
  .object({
    calls: z.array(
      z.object({
        time: z.string(),
        tool: z.string(),
        ok: z.boolean(),
        code: z.string().optional(),
        ms: z.number(),
      }),
    ),
    errors: z.array(
      z.object({
        time: z.string(),
        tool: z.string(),
        ok: z.boolean(),
        code: z.string().optional(),
        ms: z.number(),
        message: z.string(),
      }),
    ),
  })
  .meta({ id: 'Activity' });

function errors(...statuses: number[]): Record<number, ResponseDoc> {
  const text: Record<number, string> = {
    400: 'Invalid request',
    404: 'No such service or template',
    409: 'Conflict with the current state',
    413: 'Body over 1 MiB',
    429: 'MAX_CONTAINERS reached',
    502: 'A replica or image source failed',
    503: 'Podman or the service is unavailable',
  };
  return Object.fromEntries(
    statuses.map((s) => [s, { description: text[s] ?? 'Error', schema: ErrorSchema }]),
  );
}

function isStartRequest(body: object): body is StartServiceRequest {
  return 'image' in body;
}

const json = (value: unknown, status = 200) => Response.json(value, { status });

/** The management API, as data: registered on Hono and described by /openapi.json from the same table. */
export function apiRoutes(app: App, services: ServiceManager): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/templates',
      summary: 'List templates',
      tag: 'templates',
      responses: {
        200: { description: 'Templates', schema: z.object({ templates: z.array(TemplateViewSchema) }) },
      },
      handle: async () => json({ templates: services.templates.list().map((t) => t.view) }),
    }),
    defineRoute({
      method: 'get',
      path: '/templates/{name}',
      summary: 'Show one template',
      tag: 'templates',
      params: templateParams,
      responses: { 200: { description: 'The template', schema: TemplateViewSchema }, ...errors(400, 404) },
      handle: async ({ params }) => json(services.templates.get(params.name).view),
    }),
    defineRoute({
      method: 'post',
      path: '/containers',
      summary: 'Create a service from a template',
      tag: 'services',
      body: CreateServiceSchema,
      responses: {
        201: { description: 'The service', schema: ServiceSchema },
        ...errors(400, 404, 409, 413, 429, 502, 503),
      },
      handle: async ({ body, signal }) => json(await services.create(body, signal), 201),
    }),
    defineRoute({
      method: 'get',
      path: '/containers',
      summary: 'List services',
      tag: 'services',
      responses: {
        200: { description: 'Services', schema: z.object({ services: z.array(ServiceSchema) }) },
        ...errors(503),
      },
      handle: async () => json({ services: await services.list() }),
    }),
    defineRoute({
      method: 'get',
      path: '/containers/{name}',
      summary: 'Show a service',
      tag: 'services',
      params: nameParams,
      responses: { 200: { description: 'The service', schema: ServiceSchema }, ...errors(400, 404, 503) },
      handle: async ({ params }) => json(await services.get(params.name)),
    }),
    defineRoute({
      method: 'get',
      path: '/containers/{name}/status',
      summary: 'Status of a service and its replicas',
      tag: 'services',
      params: nameParams,
      responses: { 200: { description: 'The service', schema: ServiceSchema }, ...errors(400, 404, 503) },
      handle: async ({ params }) => json(await services.get(params.name)),
    }),
    defineRoute({
      method: 'post',
      path: '/containers/{name}/start',
      summary:
        'Start a service from an image (201), or start the stopped replicas of an existing one (200, empty body)',
      tag: 'services',
      params: nameParams,
      body: z.union([StartServiceSchema, z.object({}).strict()]),
      bodyOptional: true,
      responses: {
        200: { description: 'The existing service, started', schema: ServiceSchema },
        201: { description: 'The new service', schema: ServiceSchema },
        ...errors(400, 404, 409, 413, 429, 502, 503),
      },
      handle: async ({ params, body, signal }) =>
        isStartRequest(body)
          ? json(await services.startFromImage(params.name, body, signal), 201)
          : json(await services.startExisting(params.name)),
    }),
    defineRoute({
      method: 'post',
      path: '/containers/{name}/stop',
      summary: 'Stop a service (its containers are kept)',
      tag: 'services',
      params: nameParams,
      responses: {
        200: { description: 'The service, stopped', schema: ServiceSchema },
        ...errors(400, 404, 409, 503),
      },
      handle: async ({ params }) => json(await services.stop(params.name)),
    }),
    defineRoute({
      method: 'delete',
      path: '/containers/{name}',
      summary: 'Remove a service: its containers, mount and secrets',
      tag: 'services',
      params: nameParams,
      responses: { 204: { description: 'Removed' }, ...errors(400, 404, 503) },
      handle: async ({ params }) => {
        await services.remove(params.name);
        return new Response(null, { status: 204 });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/containers/{name}/logs',
      summary: 'Logs of every replica; follow=true streams them as server-sent events',
      tag: 'services',
      params: nameParams,
      query: logsQuery,
      responses: {
        200: {
          description: 'Log lines, or with follow=true a text/event-stream of `log` events',
          schema: LogLinesSchema,
        },
        ...errors(400, 404, 503),
      },
      handle: async ({ params, query, signal, c }) => {
        const options = { tail: query.tail, since: query.since };
        if (query.follow === 'false') return json(await services.logs(params.name, options, signal));
        await services.get(params.name); // a 404 before the stream starts
        return streamSSE(c, async (stream) => {
          const done = new AbortController();
          stream.onAbort(() => done.abort());
          app.shutdown.signal.addEventListener('abort', () => done.abort(), {
            once: true,
            signal: done.signal,
          });
          // A client that reads slower than the replicas log loses lines rather than growing our memory.
          let writing: Promise<unknown> = Promise.resolve();
          let pending = 0;
          try {
            await services.followLogs(params.name, options, done.signal, (line) => {
              if (pending >= MAX_PENDING_EVENTS) return;
              pending++;
              writing = writing
                .then(() => stream.writeSSE({ event: 'log', data: JSON.stringify(line) }))
                .finally(() => pending--);
            });
            await writing;
          } finally {
            done.abort(); // also drops the listener on the app's shutdown signal
          }
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/containers/{name}/kube',
      summary: 'Kubernetes YAML (Pods and a Service) for a service, to move it to a cluster',
      tag: 'services',
      params: nameParams,
      responses: {
        200: { description: 'Kubernetes YAML', contentType: 'application/yaml' },
        ...errors(400, 404, 409, 503),
      },
      handle: async ({ params }) =>
        new Response(await services.kube(params.name), { headers: { 'content-type': 'application/yaml' } }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/activity',
      summary: 'The last 100 tool calls and 50 errors of this process',
      tag: 'activity',
      responses: { 200: { description: 'Activity', schema: ActivitySchema } },
      handle: async () => json(app.activity.snapshot()),
    }),
  ];
}
