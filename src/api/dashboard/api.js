/** Reads the management API. The bearer token, when the server wants one, lives in sessionStorage. */

const TOKEN_KEY = 'mcp-podman.dashboard.token';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/**
 * The server prints a dashboard URL carrying its token as #token=... (a fragment never reaches a
 * server log or a Referer). Keep it for this tab's session and take it out of the address bar, so it
 * does not end up in the history, a bookmark or a shared screen.
 */
function adoptTokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const value = params.get('token');
  if (value === null) return;
  if (value) token.set(value);
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
}
adoptTokenFromFragment();

/** kind: 'unavailable' (the endpoint does not exist here), 'unauthorized', 'unreachable' or 'failed'. */
export class ApiError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/** GETs JSON; `accept` lists non-2xx statuses whose body is still the answer (/health says 503 when down). */
export async function getJson(path, accept = []) {
  const headers = { accept: 'application/json' };
  const bearer = token.get();
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let res;
  try {
    res = await fetch(path, { headers, cache: 'no-store' });
  } catch {
    throw new ApiError('unreachable', 'The server does not answer.');
  }
  if (res.ok || accept.includes(res.status)) return res.json();
  if (res.status === 401) throw new ApiError('unauthorized', 'This server needs a bearer token.');
  if (res.status === 404 || res.status === 405)
    throw new ApiError('unavailable', 'Not available on this server.');
  throw new ApiError('failed', await messageOf(res));
}

async function messageOf(res) {
  try {
    const body = await res.json();
    if (typeof body?.error?.message === 'string') return body.error.message;
  } catch {
    // not JSON: the status says enough
  }
  return `The server answered HTTP ${res.status}.`;
}

/** EventSource cannot send headers, so the log stream (and only it) takes the token as ?access_token=. */
export function logStreamUrl(service) {
  const params = new URLSearchParams({ follow: 'true', tail: '100' });
  const bearer = token.get();
  if (bearer) params.set('access_token', bearer);
  return `/containers/${encodeURIComponent(service)}/logs?${params}`;
}
