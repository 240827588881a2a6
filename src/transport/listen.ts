import { type ServerType, serve } from '@hono/node-server';
import { McpPodmanError } from '../errors.js';

/**
 * Listens on host:port, or fails with a coded error that says what to do: a taken port is the
 * usual first-run problem (a second instance, another service), and a stack trace from
 * Server.setupListenHandle told a user nothing.
 */
export function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  host: string,
  port: number,
): Promise<ServerType> {
  return new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch, hostname: host, port }, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, host, port)));
  });
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): unknown {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new McpPodmanError(
        'CONFLICT',
        `Port ${port} on ${host} is already in use (another mcp-podman, or another service). Choose a free ` +
          `one with --port (0 picks one), or stop what listens on ${where}.`,
        { cause: err, details: { host, port } },
      );
    case 'EACCES':
      return new McpPodmanError(
        'FORBIDDEN',
        `Listening on ${where} is not permitted here (ports below 1024 need privileges). Use --port 1024 or above.`,
        { cause: err, details: { host, port } },
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new McpPodmanError(
        'INVALID_PARAMS',
        `${host} is not an address of this machine. Give --host 127.0.0.1, or an address this machine has.`,
        { cause: err, details: { host, port } },
      );
    default:
      return err;
  }
}

/** Stops listening and cuts open connections (keep-alive, streams) so close() does not wait on them. */
export function closeServer(server: ServerType): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}
