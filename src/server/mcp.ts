import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { McpPodmanError } from '../errors.js';
import { SERVER_NAME, VERSION } from '../version.js';
import type { App } from './app.js';
import { downstreamSession, serveGatewayContent } from './gateway-content.js';
import { errorResult } from './local-tools.js';

/**
 * The only place that hands tools to the MCP SDK. One Server per client session, all reading the
 * app's shared ToolRegistry; a change there becomes notifications/tools/list_changed here.
 */
export function createMcpSession(app: App, transportName: string): Server {
  const server = new Server(
    { name: SERVER_NAME, version: VERSION, title: 'mcp-podman' },
    {
      capabilities: {
        tools: { listChanged: true },
        logging: {},
        ...(app.gateway ? { resources: { listChanged: true }, prompts: { listChanged: true } } : {}),
      },
      instructions:
        'Tools to manage Podman containers, images and more. Errors carry a code and say what to do next. ' +
        'Containers created here are labelled io.mcp-podman.managed=true.',
    },
  );

  server.setRequestHandler(methodOnly('tools/list'), async (raw) => {
    paramsOf(ListToolsRequestSchema, raw);
    app.metrics.requests.inc({ method: 'tools/list' });
    return {
      tools: app.tools.list().map((t) => ({
        name: t.name,
        title: t.title,
        description: t.description,
        inputSchema: t.inputSchema,
        annotations: t.annotations,
      })),
    };
  });

  server.setRequestHandler(methodOnly('tools/call'), async (raw, extra): Promise<CallToolResult> => {
    const request = paramsOf(CallToolRequestSchema, raw);
    const name = request.params.name;
    app.metrics.requests.inc({ method: 'tools/call' });
    const entry = app.tools.get(name);
    if (!entry) {
      const hidden = app.tools.hiddenReason(name);
      if (hidden) {
        app.metrics.errors.inc({ method: 'tools/call', tool: name, code: 'TOOL_DISABLED' });
        return errorResult(new McpPodmanError('TOOL_DISABLED', hidden), app.redactor);
      }
      app.metrics.errors.inc({ method: 'tools/call', tool: '', code: 'UNKNOWN_TOOL' });
      throw new McpError(
        ErrorCode.InvalidParams,
        `Unknown tool: ${name}. Call tools/list to see the available tools.`,
      );
    }
    const progressToken = request.params._meta?.progressToken;
    const stop = app.metrics.toolDuration.startTimer({ tool: name });
    const result = await entry.call(request.params.arguments ?? {}, {
      signal: extra.signal,
      progressToken,
      sessionId: extra.sessionId,
      session: downstreamSession(server, extra.sessionId),
      async sendProgress(progress, total, message) {
        if (progressToken === undefined || extra.signal.aborted) return;
        await extra
          .sendNotification({
            method: 'notifications/progress',
            params: {
              progressToken,
              progress,
              ...(total !== undefined ? { total } : {}),
              ...(message ? { message } : {}),
            },
          })
          .catch(() => undefined);
      },
    });
    stop();
    const code = result.isError
      ? String((result.structuredContent as { error?: { code?: string } })?.error?.code ?? 'ERROR')
      : '';
    app.metrics.toolCalls.inc({ tool: name, outcome: result.isError ? 'error' : 'ok' });
    if (result.isError) app.metrics.errors.inc({ method: 'tools/call', tool: name, code });
    return result;
  });

  const onChanged = () => {
    server.sendToolListChanged().catch(() => undefined);
  };
  app.tools.on('changed', onChanged);
  const unhookGateway = app.gateway ? serveGatewayContent(server, app.gateway, app.log) : undefined;
  app.metrics.activeSessions.inc({ transport: transportName });
  server.onclose = () => {
    app.tools.off('changed', onChanged);
    unhookGateway?.();
    app.metrics.activeSessions.dec({ transport: transportName });
  };
  server.onerror = (err) => app.log.debug({ err }, 'MCP protocol error');
  return server;
}

/**
 * The SDK checks a request against its schema before the handler runs and answers a mismatch (say a
 * numeric tool name) with -32603 and zod's raw dump. JSON-RPC calls that -32602, so handlers are
 * registered by method alone and check their params with paramsOf().
 */
function methodOnly<M extends string>(method: M) {
  return z.looseObject({ method: z.literal(method) });
}

function paramsOf<T>(schema: z.ZodType<T>, request: unknown): T {
  const parsed = schema.safeParse(request);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`);
    throw new McpError(ErrorCode.InvalidParams, `Invalid params: ${problems.join('; ')}`);
  }
  return parsed.data;
}
