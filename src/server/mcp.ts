import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { errorResult, type ToolEntry } from '../core/tools.js';
import { McpPodmanError } from '../errors.js';
import { SERVER_NAME, VERSION } from '../version.js';
import type { App } from './app.js';
import { envValuesOf, maskValues } from './call-values.js';
import { subscribe } from './fan-out.js';
import { downstreamSession, serveGatewayContent } from './gateway-content.js';

/** Where a session's tools come from: the app's registry, or a view of one mount's tools. */
export interface ToolSource {
  list(): ToolEntry[];
  get(name: string): ToolEntry | undefined;
  hiddenReason(name: string): string | undefined;
  on(event: 'changed', listener: () => void): unknown;
  off(event: 'changed', listener: () => void): unknown;
}

export interface SessionOptions {
  /** Tools to serve instead of the app's whole registry (a single mount's endpoint). */
  tools?: ToolSource;
  /** The mount every call of this session goes to, for per-mount metrics. */
  mount?: string;
}

/**
 * The only place that hands tools to the MCP SDK. One Server per client session, all reading the
 * app's shared ToolRegistry; a change there becomes notifications/tools/list_changed here.
 */
export function createMcpSession(app: App, transportName: string, options: SessionOptions = {}): Server {
  const tools = options.tools ?? app.tools;
  // A single mount's endpoint serves its tools only; resources and prompts stay on the main one.
  const gateway = options.tools ? undefined : app.gateway;
  const server = new Server(
    { name: SERVER_NAME, version: VERSION, title: 'mcp-podman' },
    {
      capabilities: {
        tools: { listChanged: true },
        logging: {},
        ...(gateway ? { resources: { listChanged: true }, prompts: { listChanged: true } } : {}),
      },
      instructions:
        'Tools to manage Podman containers, images and more. Errors carry a code and say what to do next. ' +
        'Containers created here are labelled io.mcp-podman.managed=true.',
    },
  );

  // Known once the client has initialized; containers that served only this session go with it.
  let sessionId: string | undefined;
  server.oninitialized = () => {
    sessionId = server.transport?.sessionId;
  };

  server.setRequestHandler(methodOnly('tools/list'), async (raw) => {
    paramsOf(ListToolsRequestSchema, raw);
    app.metrics.requests.inc({ method: 'tools/list' });
    return {
      tools: tools.list().map((t) => ({
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
    const entry = tools.get(name);
    if (!entry) {
      const hidden = tools.hiddenReason(name);
      app.activity.record({ tool: name, ok: false, code: hidden ? 'TOOL_DISABLED' : 'UNKNOWN_TOOL', ms: 0 });
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
    const started = performance.now();
    const stop = app.metrics.toolDuration.startTimer({ tool: name });
    const result = await entry.call(request.params.arguments ?? {}, {
      signal: extra.signal,
      progressToken,
      sessionId: extra.sessionId,
      session: downstreamSession(server, extra),
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
    recordCall(app, {
      tool: name,
      mount: options.mount,
      args: request.params.arguments,
      result,
      code,
      ms: performance.now() - started,
    });
    return result;
  });

  const unsubscribe = subscribe(tools, 'changed', () => {
    server.sendToolListChanged().catch(() => undefined);
  });
  const unhookGateway = gateway ? serveGatewayContent(server, gateway, app.log, app.redactor) : undefined;
  app.metrics.activeSessions.inc({ transport: transportName });
  server.onclose = () => {
    unsubscribe();
    unhookGateway?.();
    if (sessionId) void app.gateway?.releaseSession(sessionId);
    app.metrics.activeSessions.dec({ transport: transportName });
  };
  server.onerror = (err) => app.log.debug({ err }, 'MCP protocol error');
  return server;
}

/** Activity for the management API, and per-mount metrics when the tool belongs to a mount. */
function recordCall(
  app: App,
  call: { tool: string; mount?: string; args: unknown; result: CallToolResult; code: string; ms: number },
): void {
  const ok = !call.result.isError;
  const first = call.result.content[0];
  app.activity.record({
    tool: call.tool,
    ok,
    code: call.code || undefined,
    ms: call.ms,
    // The caller may see what it sent; the activity log's readers may not.
    message: !ok && first?.type === 'text' ? maskValues(first.text, envValuesOf(call.args)) : undefined,
  });
  const mount = call.mount ?? app.gateway?.list().find((r) => r.toolNames.includes(call.tool))?.mount.prefix;
  if (!mount) return;
  app.metrics.mountCalls.inc({ mount, outcome: ok ? 'ok' : 'error' });
  app.metrics.mountDuration.observe({ mount }, call.ms / 1000);
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
