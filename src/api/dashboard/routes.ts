import { readFileSync } from 'node:fs';
import { Hono } from 'hono';

/**
 * The assets are plain files beside this module's source. src/api/dashboard/ and dist/api/dashboard/
 * are equally deep, so one relative path finds them whether this runs from the build or from source.
 */
const ASSET_DIR = new URL('../../../src/api/dashboard/', import.meta.url);

const CONTENT_TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'logs.js': 'text/javascript; charset=utf-8',
  'panels.js': 'text/javascript; charset=utf-8',
};

/**
 * The page only ever loads its own files and talks to its own origin; the CSP makes that binding
 * even if a rendering bug slipped data into markup.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * GET / and /dashboard/* serve the operations page. The files hold no data, so they are served before
 * the bearer check: the page asks for the token and sends it with every API call it makes.
 */
export function dashboardRoutes(): Hono {
  const files = new Map(
    Object.entries(CONTENT_TYPES).map(([name, type]) => [
      name,
      { body: readFileSync(new URL(name, ASSET_DIR)), type },
    ]),
  );
  const serve = (name: string): Response | undefined => {
    const file = files.get(name);
    if (!file) return undefined;
    return new Response(new Uint8Array(file.body), {
      headers: { 'content-type': file.type, ...SECURITY_HEADERS },
    });
  };
  const hono = new Hono();
  hono.get('/', () => serve('index.html')!);
  hono.get('/dashboard', (c) => c.redirect('/dashboard/'));
  hono.get('/dashboard/', () => serve('index.html')!);
  hono.get('/dashboard/:file', async (c, next) => {
    const found = serve(c.req.param('file'));
    if (found) return found;
    await next(); // unknown names get the app's JSON 404
  });
  return hono;
}
