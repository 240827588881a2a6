import { attachManagementPlane } from '../api/plane.js';
import type { Config } from '../config/schema.js';
import { attachGateway } from '../gateway/attach-to-app.js';
import { type App, createApp } from '../server/app.js';
import { createMcpSession } from '../server/mcp.js';
import { startHttpServer } from '../transport/http.js';
import { StdioTransport } from '../transport/stdio.js';

/**
 * Runs `mcp-podman serve` until stdin closes (stdio) or a signal arrives. Every resource is
 * registered with the app, so one close() releases all of it on every exit path.
 */
export async function serve(config: Config): Promise<void> {
  const app = createApp({ config });
  installSignalHandlers(app);
  // Connect (or start the embedded service) early, but keep serving if Podman is not there yet:
  // calls then fail with PODMAN_NOT_CONNECTED and a fix, and a later call tries again.
  app.connection
    .get()
    .catch((err: Error) => app.log.warn({ err: err.message }, 'Podman is not reachable yet'));

  try {
    await attachGateway(app);
    await startTransport(app);
  } catch (err) {
    // A transport that cannot start (port in use, unsafe bind) must not leave an embedded Podman
    // service or its temp dir behind: the connection may already have started one.
    await app.close();
    throw err;
  }
}

async function startTransport(app: App): Promise<void> {
  const { config } = app;
  if (config.transport === 'stdio') {
    const server = createMcpSession(app, 'stdio');
    const transport = new StdioTransport();
    transport.onclose = () => {
      void shutdown(app, 0);
    };
    await server.connect(transport);
    app.log.info('serving MCP over stdio');
    return;
  }
  if (config.transport === 'http') {
    const plane = await attachManagementPlane(app);
    const handle = await startHttpServer(app, plane.http);
    announceAuth({ ...handle, dashboard: `${handle.url}/` });
    return;
  }
  const { startWebSocketServer } = await import('../transport/websocket.js');
  announceAuth(await startWebSocketServer(app));
}

/**
 * Tells the operator, on stderr whatever the log level, how clients get in: with a generated token,
 * where it is and (Jupyter style) a dashboard URL carrying it in the fragment, which browsers never
 * send to a server or put in a Referer. Without auth, a warning saying what that risks.
 */
function announceAuth(listener: {
  auth: { token?: string; generated: boolean };
  tokenFile?: string;
  dashboard?: string;
}): void {
  const { auth, tokenFile, dashboard } = listener;
  if (auth.token === undefined) {
    process.stderr.write(
      'mcp-podman: WARNING: --unsafe-no-auth: no token is required. Every local user and every process ' +
        'on this machine can drive Podman through this server, with the rights of the user running it.\n',
    );
    return;
  }
  if (!auth.generated || !tokenFile) return;
  const lines = [
    'mcp-podman: no auth token was configured, so one was generated for this run.',
    `  token file (owner-only, removed at shutdown): ${tokenFile}`,
    `  clients send the header: Authorization: Bearer $(cat ${tokenFile})`,
    ...(dashboard ? [`  dashboard: ${dashboard}#token=${auth.token}`] : []),
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}

let exiting = false;

async function shutdown(app: App, code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  // Bounded, but longer than a mount's container removal may retry (15 s); what is still running
  // then (an embedded Podman service) is killed by its own exit hook.
  const force = setTimeout(() => process.exit(code || 1), 25_000);
  force.unref();
  await app.close();
  process.exit(code);
}

function installSignalHandlers(app: App): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // on, not once: a second Ctrl-C during the cleanup must not kill the process halfway through it.
    process.on(signal, () => {
      if (exiting) return;
      app.log.info({ signal }, 'shutting down');
      void shutdown(app, 0);
    });
  }
  process.on('uncaughtException', (err) => {
    app.log.fatal({ err }, 'uncaught exception');
    void shutdown(app, 1);
  });
}
