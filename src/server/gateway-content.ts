import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  type LoggingLevel,
  LoggingLevelSchema,
  type LoggingMessageNotification,
  McpError,
  ReadResourceRequestSchema,
  type ServerNotification,
  SetLevelRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { CallExtra, DownstreamSession } from '../core/tools.js';
import { isMcpPodmanError } from '../errors.js';
import type { Gateway } from '../gateway/gateway.js';
import type { Redactor } from '../tools/redact.js';
import { subscribe } from './fan-out.js';

/**
 * The level each session asked for with logging/setLevel. Kept here rather than in the SDK's own
 * map because a mount's messages go out on a call's stream, which the SDK's sendLoggingMessage
 * cannot address.
 */
const minimumLevel = new WeakMap<Server, LoggingLevel>();
const SEVERITY: readonly LoggingLevel[] = LoggingLevelSchema.options;

function wanted(server: Server, level: LoggingLevel): boolean {
  const minimum = minimumLevel.get(server);
  return !minimum || SEVERITY.indexOf(level) >= SEVERITY.indexOf(minimum);
}

/** The client session behind a request, for what a mounted server asks of the client or tells it. */
export function downstreamSession(
  server: Server,
  request: {
    sessionId?: string;
    signal: AbortSignal;
    sendNotification(n: ServerNotification): Promise<void>;
  },
): DownstreamSession {
  return {
    id: request.sessionId,
    supports: (capability) => Boolean(server.getClientCapabilities()?.[capability]),
    createMessage: (params, options) => server.createMessage(params, options),
    elicitInput: (params, options) => server.elicitInput(params, options),
    // sendNotification carries the request's id, so Streamable HTTP puts it on that call's stream.
    log: async (params) => {
      if (request.signal.aborted || !wanted(server, params.level)) return;
      await request.sendNotification({ method: 'notifications/message', params });
    },
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
    extra: {
      signal: AbortSignal;
      sessionId?: string;
      sendNotification(n: ServerNotification): Promise<void>;
    },
    progressToken?: string | number,
  ): CallExtra => ({
    signal: extra.signal,
    sessionId: extra.sessionId,
    session: downstreamSession(server, extra),
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
  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    minimumLevel.set(server, request.params.level);
    return {};
  });
  // A message no call is waiting for goes to the one session that owns its mount, never to all.
  const onLog = (m: { sessionId: string; message: LoggingMessageNotification['params'] }) => {
    if (m.sessionId !== server.transport?.sessionId || !wanted(server, m.message.level)) return;
    server
      .notification({ method: 'notifications/message', params: m.message })
      .catch((err) => log.debug({ err }, 'could not forward a log message'));
  };
  const unsubscribe = [
    subscribe(gateway, 'resources', onResources),
    subscribe(gateway, 'prompts', onPrompts),
    subscribe(gateway, 'log', onLog),
  ];
  return () => {
    for (const u of unsubscribe) u();
  };
}
