import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { isMcpPodmanError } from '../errors.js';
import type { Gateway } from '../gateway/gateway.js';
import type { Redactor } from '../tools/redact.js';
import type { CallExtra, DownstreamSession } from './registry.js';

/** The client session behind a request, for what a mounted server asks of the client. */
export function downstreamSession(server: Server, sessionId?: string): DownstreamSession {
  return {
    id: sessionId,
    supports: (capability) => Boolean(server.getClientCapabilities()?.[capability]),
    createMessage: (params, options) => server.createMessage(params, options),
    elicitInput: (params, options) => server.elicitInput(params, options),
  };
}

/**
 * Serves the mounted servers' resources, resource templates and prompts on one session, forwards
 * their log messages, and announces list changes. Returns a function that unhooks it all.
 */
export function serveGatewayContent(
  server: Server,
  gateway: Gateway,
  log: { debug(o: object, m: string): void },
  redactor: Redactor,
): () => void {
  const extraFor = (
    extra: { signal: AbortSignal; sessionId?: string; _meta?: { progressToken?: string | number } },
    progressToken?: string | number,
  ): CallExtra => ({
    signal: extra.signal,
    sessionId: extra.sessionId,
    session: downstreamSession(server, extra.sessionId),
    progressToken,
    sendProgress: async () => undefined,
  });
  const asProtocolError = (err: unknown): never => {
    if (isMcpPodmanError(err)) {
      throw new McpError(
        err.code === 'NOT_FOUND' ? -32002 : -32603,
        redactor.scrub(`${err.code}: ${err.message}`),
        {
          code: err.code,
        },
      );
    }
    throw err;
  };

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: gateway.listResources() }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: gateway.listResourceTemplates(),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, (request, extra) =>
    gateway.readResource(request.params.uri, extraFor(extra)).catch(asProtocolError),
  );
  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: gateway.listPrompts() }));
  server.setRequestHandler(GetPromptRequestSchema, (request, extra) =>
    gateway.getPrompt(request.params.name, request.params.arguments, extraFor(extra)).catch(asProtocolError),
  );

  const onResources = () => server.sendResourceListChanged().catch(() => undefined);
  const onPrompts = () => server.sendPromptListChanged().catch(() => undefined);
  const onLog = (m: { prefix: string; level: string; logger?: string; data: unknown }) => {
    server
      .sendLoggingMessage({
        level: m.level as 'info',
        logger: m.logger ? `${m.prefix}/${m.logger}` : m.prefix,
        data: redactor.scrubDeep(m.data),
      })
      .catch((err) => log.debug({ err }, 'could not forward a log message'));
  };
  gateway.on('resources', onResources);
  gateway.on('prompts', onPrompts);
  gateway.on('log', onLog);
  return () => {
    gateway.off('resources', onResources);
    gateway.off('prompts', onPrompts);
    gateway.off('log', onLog);
  };
}
