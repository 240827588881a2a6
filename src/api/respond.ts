import { httpStatusFor, type McpPodmanError } from '../errors.js';
import type { App } from '../server/app.js';
import { jsonError } from '../transport/guards.js';

/**
 * The API's error answer: `{error: {code, message}}` with the code's status. A 4xx (and a 502-504,
 * which say what to retry) carries the message; a 500 logs the cause and says little.
 */
export function errorResponse(app: App, err: McpPodmanError): Response {
  const status = httpStatusFor(err.code);
  if (status === 500) {
    app.log.error({ err, cause: err.cause }, 'management API request failed');
    return jsonError(err.code, 'Internal error; see the server log.');
  }
  return jsonError(err.code, app.redactor.scrub(err.message));
}
