/**
 * One error type for the whole project. A code is stable (clients and tests match on it); the message
 * says what to do next, because at the MCP boundary that text is all the model sees.
 */
export const ERROR_CODES = [
  'PODMAN_NOT_CONNECTED',
  'INVALID_CONTAINER_NAME',
  'CONTAINER_NOT_FOUND',
  'IMAGE_NOT_FOUND',
  'POD_NOT_FOUND',
  'VOLUME_NOT_FOUND',
  'NETWORK_NOT_FOUND',
  'SECRET_NOT_FOUND',
  'NOT_FOUND',
  'CONFLICT',
  'PODMAN_ERROR',
  'INVALID_PARAMS',
  'TOOL_DISABLED',
  'CANCELLED',
  'TIMEOUT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'LIMIT_EXCEEDED',
  'UPSTREAM_ERROR',
  'UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class McpPodmanError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'McpPodmanError';
    this.code = code;
    this.details = options.details ?? {};
  }

  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isMcpPodmanError(err: unknown): err is McpPodmanError {
  return err instanceof McpPodmanError;
}

/** HTTP status for a code, used by every HTTP boundary (management API, transports). */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_PARAMS':
    case 'INVALID_CONTAINER_NAME':
      return 400;
    case 'UNAUTHORIZED':
      return 401;
    case 'FORBIDDEN':
    case 'TOOL_DISABLED':
      return 403;
    case 'CONTAINER_NOT_FOUND':
    case 'IMAGE_NOT_FOUND':
    case 'POD_NOT_FOUND':
    case 'VOLUME_NOT_FOUND':
    case 'NETWORK_NOT_FOUND':
    case 'SECRET_NOT_FOUND':
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
      return 409;
    case 'LIMIT_EXCEEDED':
      return 429;
    case 'CANCELLED':
      return 499;
    case 'PODMAN_NOT_CONNECTED':
    case 'UNAVAILABLE':
      return 503;
    case 'TIMEOUT':
      return 504;
    case 'UPSTREAM_ERROR':
      return 502;
    default:
      return 500;
  }
}

/** Wraps anything thrown into a coded error without losing the original as `cause`. */
export function toMcpPodmanError(err: unknown): McpPodmanError {
  if (err instanceof McpPodmanError) return err;
  if (isAbortError(err)) return new McpPodmanError('CANCELLED', 'The request was cancelled.', { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new McpPodmanError('INTERNAL_ERROR', `Unexpected failure: ${message}`, { cause: err });
}

export function isAbortError(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err.name === 'AbortError' ||
      (err as { code?: string }).code === 'UND_ERR_ABORTED' ||
      err.name === 'TimeoutError')
  );
}
