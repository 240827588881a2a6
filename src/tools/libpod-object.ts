import type { ErrorCode } from '../errors.js';

/**
 * The two things every per-object toolset needs about its kind of object: the libpod path of one
 * (name or id, escaped) and the coded "not found" answer that says how to list them.
 */
export function libpodObject<C extends ErrorCode>(
  collection: string,
  code: C,
  missing: (name: string) => string,
) {
  return {
    path: (name: string, rest = '') => `/libpod/${collection}/${encodeURIComponent(name)}${rest}`,
    notFound: (name: string) => ({ code, message: missing(name) }),
  };
}
