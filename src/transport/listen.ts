import type { ServerType } from '@hono/node-server';

/** Stops listening and cuts open connections (keep-alive, streams) so close() does not wait on them. */
export function closeServer(server: ServerType): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}
