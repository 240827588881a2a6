import { McpPodmanError } from '../errors.js';
import type { App } from '../server/app.js';

export async function startWebSocketServer(_app: App): Promise<never> {
  throw new McpPodmanError(
    'INVALID_PARAMS',
    'The websocket transport is not available in this build yet; use --transport http or stdio.',
  );
}
