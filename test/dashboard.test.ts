import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { stringify } from 'yaml';
import { BUSYBOX, ensureBusybox, ensureNpmServerImage } from './helpers/images.js';
import {
  call,
  connectHttp,
  type HttpServerProcess,
  startHttpServer,
  startServeProcess,
  stderrMatching,
  textOf,
} from './helpers/mcp.js';
import { startPodman, type TestPodman } from './helpers/podman.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);

/** Debian's chromium (scripts/install-podman.sh installs it), driven over CDP by playwright-core. */
async function openBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'mcp-podman-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** A fresh tab that fails the test on any script error of the page. */
async function openPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return { page, errors };
}

/** Waits until the element's text matches (the page refreshes every 3 s), then returns the text. */
async function textMatching(
  page: Page,
  selector: string,
  pattern: RegExp,
  timeoutMs = 30_000,
): Promise<string> {
  await page.waitForFunction(
    ({ selector, source, flags }) =>
      new RegExp(source, flags).test(document.querySelector(selector)?.textContent ?? ''),
    { selector, source: pattern.source, flags: pattern.flags },
    { timeout: timeoutMs, polling: 100 },
  );
  return (await page.textContent(selector)) ?? '';
}

async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: new URL(name, ARTIFACTS).pathname, fullPage: true });
}

async function api(server: HttpServerProcess, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...server.auth, ...init.headers },
  });
}

/** The dashboard as the operator opens it: the URL carries the token in its fragment. */
function dashboardUrl(server: HttpServerProcess): string {
  return `${server.url}/#token=${encodeURIComponent(server.token ?? '')}`;
}

describe('the operations dashboard in a real browser', () => {
  let podman: TestPodman;
  let dir: string;
  let browser: Awaited<ReturnType<typeof openBrowser>>;

  before(async () => {
    await ensureBusybox();
    podman = await startPodman();
    dir = await mkdtemp(join(tmpdir(), 'mcp-podman-dashboard-'));
    browser = await openBrowser();
  });

  after(async () => {
    await browser?.close();
    const leftovers = await podman.sweep();
    await podman.stop();
    await rm(dir, { recursive: true, force: true });
    assert.equal(leftovers, 0, 'the dashboard tests left containers behind');
  });

  it('shows services, their tools, recent calls and health, and follows live logs', async () => {
    const everything = await ensureNpmServerImage(
      '@modelcontextprotocol/server-everything',
      'server-everything',
    );
    const catalog = join(dir, 'catalog.yaml');
    await writeFile(
      catalog,
      stringify({
        entries: [
          { id: 'everything', name: 'Everything', image: everything, args: ['stdio'], prefix: 'everything' },
        ],
      }),
    );
    const templates = join(dir, 'templates');
    await mkdir(templates, { recursive: true });
    // busybox httpd -vv logs every URL it serves, so a request we make shows up as a log line.
    await writeFile(
      join(templates, 'web.json'),
      JSON.stringify({
        name: 'web',
        description: 'busybox httpd',
        image: BUSYBOX,
        default_config: {
          port: 8080,
          command: ['sh', '-c', 'echo ok > /var/www/index.html && exec httpd -f -vv -p 8080 -h /var/www'],
          health_check_path: '/',
        },
        capabilities: [],
      }),
    );
    const server = await startHttpServer(
      [
        '--socket-path',
        podman.socketPath,
        '--catalog',
        catalog,
        '--no-builtin-catalog',
        '--gateway-id',
        'dashboard',
      ],
      { MCP_PODMAN_TEMPLATES: templates, HEALTH_CHECK_INTERVAL: '1', XDG_CONFIG_HOME: dir },
    );
    const client = await connectHttp(server.url, server.auth);
    const { page, errors } = await openPage(browser.context);
    try {
      for (const [service, template] of [
        ['everything', 'everything'],
        ['web', 'web'],
      ]) {
        const created = await api(server, '/containers', {
          method: 'POST',
          body: JSON.stringify({ service_name: service, template }),
        });
        assert.equal(created.status, 201, await created.text());
      }
      const echo = await call(client, 'everything_echo', { message: 'seen on the dashboard' });
      assert.equal(textOf(echo), 'Echo: seen on the dashboard');
      const missing = await call(client, 'podman_inspect', { container: 'no-such-container' });
      assert.equal(missing.isError, true);

      await page.goto(dashboardUrl(server));
      assert.match(await textMatching(page, '#health', /Podman healthy/), /healthy/);
      await textMatching(page, '#metrics', /Tools/);
      const everythingCard = '#services [data-service="everything"]';
      assert.match(
        await textMatching(page, everythingCard, /running.*1\/1 up/),
        /echo/,
        'the mount lists its tools',
      );
      const webCard = '#services [data-service="web"]';
      assert.match(await textMatching(page, webCard, /running.*1\/1 up/), /web\.localhost/);
      assert.match(await textMatching(page, '#calls', /everything_echo/), /ok/);
      assert.match(await textMatching(page, '#errors', /podman_inspect/), /NOT_FOUND/);

      await page.click(`${webCard} .service-name`);
      await textMatching(page, '#logs-target', /web · live/);
      const web = (await (await api(server, '/containers/web')).json()) as {
        replicas: { host_port?: number }[];
      };
      const hostPort = web.replicas[0]?.host_port;
      assert.ok(hostPort, 'the replica publishes a host port');
      const marker = `/live-${Date.now()}`;
      assert.equal((await fetch(`http://127.0.0.1:${hostPort}${marker}`)).status, 404);
      await textMatching(page, '#logs .log-lines', new RegExp(marker), 15_000);
      await screenshot(page, 'dashboard-live.png');
      assert.deepEqual(errors, []);

      for (const service of ['web', 'everything']) {
        assert.equal((await api(server, `/containers/${service}`, { method: 'DELETE' })).status, 204);
      }
    } catch (err) {
      await screenshot(page, 'dashboard-live-failed.png');
      // Service containers outlive the server by design (they are re-adopted), so remove them here.
      for (const service of ['web', 'everything']) {
        await api(server, `/containers/${service}`, { method: 'DELETE' }).catch(() => undefined);
      }
      throw err;
    } finally {
      await page.close();
      await client.close();
      await server.stop();
    }
  });

  it('says "not available" for missing endpoints and renders server strings as text', async () => {
    const server = await startHttpServer(['--socket-path', podman.socketPath]);
    const { page, errors } = await openPage(browser.context);
    try {
      const hostile = '<img src=x onerror="window.__pwned=1">';
      await page.route('**/api/activity', (route) =>
        route.fulfill({ status: 404, json: { error: { code: 'NOT_FOUND', message: 'No such endpoint.' } } }),
      );
      await page.route('**/containers', (route) =>
        route.fulfill({
          json: {
            services: [
              {
                name: hostile,
                kind: 'http',
                state: 'degraded',
                replicas_desired: 2,
                replicas: [
                  { id: 'abc', name: `${hostile}-0`, state: 'running', health: 'unhealthy', restarts: 3 },
                ],
                routes: {},
                tools: [hostile],
                created_at: new Date().toISOString(),
                labels: {},
              },
            ],
          },
        }),
      );
      await page.goto(dashboardUrl(server));
      await textMatching(page, '#health', /Podman healthy/);
      assert.match(await textMatching(page, '#calls', /Not available/), /Not available on this server/);
      assert.match(await textMatching(page, '#errors', /Not available/), /Not available on this server/);
      const services = await textMatching(page, '#services', /degraded/);
      assert.ok(services.includes(hostile), 'the markup shows as text');
      assert.match(services, /1\/2 up/);
      assert.equal(await page.locator('#services img').count(), 0, 'no element was created from data');
      assert.equal(await page.evaluate(() => (window as { __pwned?: number }).__pwned), undefined);
      assert.match(await textMatching(page, '#metrics', /MCP requests/), /healthy/);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await server.stop();
    }
  });

  it('takes the generated token from the URL the server prints, keeps it for the session and drops it from the address bar', async () => {
    const runtime = await mkdtemp(join(tmpdir(), 'mcp-podman-dashboard-runtime-'));
    const server = await startServeProcess(
      ['--transport', 'http', '--port', '0', '--socket-path', podman.socketPath],
      { XDG_RUNTIME_DIR: runtime },
      /"url":"(http:\/\/[^"]+)\/mcp"/,
    );
    const { page, errors } = await openPage(browser.context);
    try {
      // serve prints a dashboard URL carrying the token.
      const [, url, token] = await stderrMatching(server, /dashboard: (http:\S+#token=(\S+))/);
      assert.equal((await fetch(`${server.url}/api/activity`)).status, 401, 'the API needs it');
      const seen: string[] = [];
      page.on('request', (req) => seen.push(`${req.url()} ${req.headers().authorization ?? ''}`));
      await page.goto(url!);
      await textMatching(page, '#metrics', /MCP requests/);
      assert.equal(await page.isVisible('#token-dialog'), false, 'no prompt: the URL carried the token');
      assert.equal(new URL(page.url()).hash, '', 'the token is gone from the address bar');
      assert.equal(await page.evaluate(() => sessionStorage.getItem('mcp-podman.dashboard.token')), token);
      assert.ok(
        seen.some((r) => r.includes('/api/activity') && r.endsWith(`Bearer ${token}`)),
        'API calls send it as a bearer header',
      );
      assert.ok(!seen.some((r) => r.split(' ')[0]!.includes(token!)), 'no request URL carries the token');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await server.stop();
      await rm(runtime, { recursive: true, force: true });
    }
  });

  it('asks for the bearer token once per session and passes it to the log stream only as access_token', async () => {
    const secret = `dash-${Date.now()}-token`;
    const server: HttpServerProcess = await startHttpServer([
      '--socket-path',
      podman.socketPath,
      '--auth-token',
      secret,
    ]);
    const { page, errors } = await openPage(browser.context);
    try {
      const pageAnswer = await fetch(server.url);
      assert.equal(pageAnswer.status, 200, 'the page itself holds no data and needs no token');
      assert.match(pageAnswer.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
      assert.equal(
        (await fetch(`${server.url}/metrics?access_token=${secret}`)).status,
        401,
        'no URL tokens elsewhere',
      );
      const logsPath = `/containers/no-such-service/logs?follow=true&access_token=`;
      assert.equal((await fetch(`${server.url}${logsPath}wrong`)).status, 401);
      assert.notEqual(
        (await fetch(`${server.url}${logsPath}${secret}`)).status,
        401,
        'the SSE route takes it',
      );
      const posted = await fetch(`${server.url}${logsPath}${secret}`, { method: 'POST' });
      assert.equal(posted.status, 401, 'only GET takes a URL token');

      await page.goto(server.url);
      await page.waitForSelector('#token-dialog[open]');
      await page.fill('#token-input', 'not-the-token');
      await page.click('#token-dialog button[type=submit]');
      await textMatching(page, '#token-reason', /refused/);
      await page.fill('#token-input', secret);
      await page.click('#token-dialog button[type=submit]');
      await textMatching(page, '#metrics', /MCP requests/);
      assert.equal(await page.isVisible('#token-dialog'), false);
      assert.equal(await page.evaluate(() => sessionStorage.getItem('mcp-podman.dashboard.token')), secret);

      await page.reload();
      await textMatching(page, '#metrics', /MCP requests/);
      assert.equal(await page.isVisible('#token-dialog'), false, 'the session keeps the token');
      await screenshot(page, 'dashboard-token.png');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await server.stop();
    }
  });
});
