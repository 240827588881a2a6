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

/** /servers/{name}/mcp speaks MCP (JSON-RPC over Streamable HTTP), which OpenAPI can only name. */
function mcpEndpoint(method: string): Json {
  return {
    operationId: `${method}ServerMcp`,
    summary: `MCP Streamable HTTP (${method.toUpperCase()}) for one service alone`,
    tags: ['mcp'],
    parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
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
