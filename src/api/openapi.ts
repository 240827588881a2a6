import { z } from 'zod';
import { VERSION } from '../version.js';
import type { ApiRoute } from './route-kit.js';

type Json = Record<string, unknown>;

/**
 * Turns zod schemas into OpenAPI 3.1 schemas (JSON Schema 2020-12): named schemas (meta id) go to
 * components.schemas and are referenced from there.
 */
class SchemaCollector {
  readonly components: Record<string, Json> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): Json {
    const raw = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
    const text = JSON.stringify(raw).replaceAll('"#/$defs/', '"#/components/schemas/');
    const { $schema: _schema, $defs, ...rest } = JSON.parse(text) as Json & { $defs?: Record<string, Json> };
    Object.assign(this.components, $defs ?? {});
    return rest;
  }
}

/** Query or path parameters from an object schema. */
function parameters(
  collector: SchemaCollector,
  schema: z.ZodType | undefined,
  where: 'path' | 'query',
): Json[] {
  if (!schema) return [];
  const json = collector.convert(schema, 'input') as {
    properties?: Record<string, Json>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, prop]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    ...(typeof prop.description === 'string' ? { description: prop.description } : {}),
    schema: prop,
  }));
}

function operation(collector: SchemaCollector, route: ApiRoute): Json {
  const responses: Json = {};
  for (const [status, doc] of Object.entries(route.responses)) {
    responses[status] = {
      description: doc.description,
      ...(doc.schema
        ? { content: { 'application/json': { schema: collector.convert(doc.schema, 'output') } } }
        : {}),
    };
  }
  if (route.path.endsWith('/logs')) {
    (responses['200'] as Json & { content: Json }).content['text/event-stream'] = {
      schema: { type: 'string', description: 'event: log / data: {"replica": "...", "line": "..."}' },
    };
  }
  return {
    operationId: `${route.method}${route.path
      .replace(/[{}]/g, '')
      .replace(/\/(\w)/g, (_, c: string) => c.toUpperCase())
      .replace(/\W/g, '')}`,
    summary: route.summary,
    tags: [route.tag],
    parameters: [
      ...parameters(collector, route.params, 'path'),
      ...parameters(collector, route.query, 'query'),
    ],
    ...(route.body
      ? {
          requestBody: {
            required: !route.bodyOptional,
            content: { 'application/json': { schema: collector.convert(route.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

/**
 * The MCP endpoints speak JSON-RPC over Streamable HTTP, which OpenAPI can only name: /mcp for
 * everything this server serves, /servers/{name}/mcp for one service alone.
 */
function mcpEndpoint(method: string, perService = true): Json {
  return {
    operationId: `${method}${perService ? 'ServerMcp' : 'Mcp'}`,
    summary: `MCP Streamable HTTP (${method.toUpperCase()}) ${perService ? 'for one service alone' : 'for every tool this server serves'}`,
    tags: ['mcp'],
    ...(perService
      ? { parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }] }
      : {}),
    ...(method === 'post'
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { description: 'A JSON-RPC message or batch' } } },
          },
        }
      : {}),
    responses: {
      200: {
        description: 'JSON-RPC reply, or a text/event-stream',
        content: { 'application/json': { schema: {} }, 'text/event-stream': { schema: { type: 'string' } } },
      },
      202: { description: 'Accepted (notifications and responses)' },
      404: { description: 'Unknown service or session' },
    },
  };
}

/** What /health answers (src/api/health.ts). */
const HEALTH: Json = {
  type: 'object',
  required: ['status', 'timestamp', 'uptime_seconds', 'version', 'server_name'],
  properties: {
    status: { enum: ['healthy', 'unhealthy'] },
    timestamp: { type: 'string', format: 'date-time' },
    uptime_seconds: { type: 'number' },
    version: { type: 'string' },
    server_name: { type: 'string' },
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
};

/** The OpenAPI 3.1 document of the management API, generated from the route table. */
export function openApiDocument(routes: ApiRoute[]): Json {
  const collector = new SchemaCollector();
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    paths[route.path] = { ...(paths[route.path] ?? {}), [route.method]: operation(collector, route) };
  }
  paths['/servers/{name}/mcp'] = {
    post: mcpEndpoint('post'),
    get: mcpEndpoint('get'),
    delete: mcpEndpoint('delete'),
  };
  paths['/mcp'] = {
    post: mcpEndpoint('post', false),
    get: mcpEndpoint('get', false),
    delete: mcpEndpoint('delete', false),
  };
  paths['/sse'] = {
    get: {
      operationId: 'getLegacySse',
      summary: 'Legacy HTTP+SSE transport (protocol 2024-11-05): the event stream; messages go to /messages',
      tags: ['mcp'],
      responses: {
        200: {
          description: 'A text/event-stream',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
      },
    },
  };
  paths['/messages'] = {
    post: {
      operationId: 'postLegacySseMessage',
      summary: 'Legacy HTTP+SSE transport: a JSON-RPC message for the stream named by sessionId',
      tags: ['mcp'],
      parameters: [{ name: 'sessionId', in: 'query', required: true, schema: { type: 'string' } }],
      requestBody: { required: true, content: { 'application/json': { schema: {} } } },
      responses: { 202: { description: 'Accepted' }, 404: { description: 'Unknown session' } },
    },
  };
  paths['/health'] = {
    get: {
      operationId: 'getHealth',
      summary: 'Whether Podman answers; open to probes without a token',
      tags: ['meta'],
      security: [],
      responses: {
        200: { description: 'Podman answers', content: { 'application/json': { schema: HEALTH } } },
        503: { description: 'Podman does not answer', content: { 'application/json': { schema: HEALTH } } },
      },
    },
  };
  paths['/metrics'] = {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics, or a JSON summary with Accept: application/json',
      tags: ['meta'],
      responses: {
        200: {
          description: 'Prometheus text exposition format, or the JSON summary',
          content: {
            'text/plain': { schema: { type: 'string' } },
            'application/json': { schema: { type: 'object' } },
          },
        },
        401: { description: 'No or a wrong bearer token' },
        404: { description: 'Metrics are off (ENABLE_METRICS=false)' },
      },
    },
  };
  paths['/openapi.json'] = {
    get: {
      operationId: 'getOpenApi',
      summary: 'This document',
      tags: ['meta'],
      responses: {
        200: {
          description: 'OpenAPI 3.1 document',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'mcp-podman management API',
      version: VERSION,
      description:
        'Services from templates, their replicas, logs and health. A request whose Host is <name>.localhost is ' +
        'reverse-proxied to a healthy replica of service <name>. Errors are {error: {code, message}}. Every ' +
        'operation needs "Authorization: Bearer <token>": the configured token, or the one the server generated ' +
        'at start and wrote to its token file.',
    },
    servers: [{ url: '/' }],
    components: {
      schemas: collector.components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
