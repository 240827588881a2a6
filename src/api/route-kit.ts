import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import { McpPodmanError, toMcpPodmanError } from '../errors.js';
import type { App } from '../server/app.js';
import { readCapped } from '../transport/http.js';
import { errorResponse } from './respond.js';

/** Bodies of management API requests are small JSON documents. */
export const API_MAX_BODY = 1024 * 1024;

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Content type when not JSON (an event stream). */
  contentType?: string;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  signal: AbortSignal;
  c: Context;
}

/** One route of the management API: the same data registers it and documents it in OpenAPI. */
export interface ApiRoute<P = unknown, Q = unknown, B = unknown> {
  method: 'get' | 'post' | 'delete';
  /** OpenAPI style: /containers/{name} */
  path: string;
  summary: string;
  tag: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Whether an empty body is allowed (then `body` parses `{}`). */
  bodyOptional?: boolean;
  responses: Record<number, ResponseDoc>;
  handle(input: RouteInput<P, Q, B>): Promise<Response>;
}

/** Keeps each route's handler typed by its own schemas while the table holds them all. */
export function defineRoute<P, Q, B>(route: ApiRoute<P, Q, B>): ApiRoute {
  return route as unknown as ApiRoute;
}

function invalid(where: string, error: z.ZodError): McpPodmanError {
  const problems = error.issues.map((i) => `${[where, ...i.path.map(String)].join('.')}: ${i.message}`);
  return new McpPodmanError(
    'INVALID_PARAMS',
    `Invalid request: ${problems.join('; ')}. GET /openapi.json describes it.`,
    {
      details: {
        issues: error.issues.map((i) => ({ path: [where, ...i.path.map(String)], message: i.message })),
      },
    },
  );
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(where, parsed.error);
  return parsed.data;
}

class TooLarge extends Error {}
class NotJson extends Error {}

async function readBody(req: Request, optional: boolean): Promise<unknown> {
  if (Number(req.headers.get('content-length') ?? 0) > API_MAX_BODY) throw new TooLarge();
  const text = await readCapped(req, API_MAX_BODY);
  if (text === undefined) throw new TooLarge();
  if (text.trim() === '') {
    if (optional) return {};
    throw new McpPodmanError(
      'INVALID_PARAMS',
      'The request needs a JSON body. GET /openapi.json describes it.',
    );
  }
  // Only JSON: a browser can send text/plain or a form to any origin without asking first.
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(req.headers.get('content-type') ?? '')) throw new NotJson();
  try {
    return JSON.parse(text);
  } catch {
    throw new McpPodmanError('INVALID_PARAMS', 'The body is not valid JSON.');
  }
}

function tooLarge(): Response {
  return Response.json(
    { error: { code: 'INVALID_PARAMS', message: `Request body too large (limit ${API_MAX_BODY} bytes).` } },
    { status: 413, headers: { connection: 'close' } },
  );
}

/** Registers the routes on Hono: validation, body cap, and coded JSON errors. */
export function registerRoutes(hono: Hono, app: App, routes: ApiRoute[]): void {
  for (const route of routes) {
    const path = route.path.replace(/\{(\w+)\}/g, ':$1');
    hono.on(route.method.toUpperCase(), path, async (c) => {
      try {
        const params = parse(route.params, c.req.param(), 'path');
        const query = parse(route.query, c.req.query(), 'query');
        const body = route.body
          ? parse(route.body, await readBody(c.req.raw, route.bodyOptional ?? false), 'body')
          : undefined;
        return await route.handle({ params, query, body, signal: c.req.raw.signal, c });
      } catch (err) {
        if (err instanceof TooLarge) return tooLarge();
        if (err instanceof NotJson) {
          return Response.json(
            { error: { code: 'INVALID_PARAMS', message: 'Send the body as application/json.' } },
            { status: 415 },
          );
        }
        return errorResponse(app, toMcpPodmanError(err));
      }
    });
  }
}
