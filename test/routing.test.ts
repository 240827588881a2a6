import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { api, http, waitFor, writeTemplates } from './helpers/api.js';
import { refusedStart } from './helpers/cli-exit.js';
import { ensureBusybox } from './helpers/images.js';
import { type HttpServerProcess, startHttpServer } from './helpers/mcp.js';
import { startPodman, type TestPodman } from './helpers/podman.js';

const TOKEN = 'routing-test-token-0123456789';

describe('Host routing, re-adoption and the environment limits', () => {
  let podman: TestPodman;
  let dir: string;
  let templates: string;
  const servers: HttpServerProcess[] = [];

  async function serve(env: Record<string, string>, args: string[] = []): Promise<HttpServerProcess> {
    const server = await startHttpServer(
      ['--socket-path', podman.socketPath, '--no-builtin-catalog', ...args],
      {
        MCP_PODMAN_TEMPLATES: templates,
        HEALTH_CHECK_INTERVAL: '0.5',
        XDG_CONFIG_HOME: dir,
        ...env,
      },
    );
    servers.push(server);
    return server;
  }

  before(async () => {
    const busybox = await ensureBusybox();
    podman = await startPodman();
    dir = await mkdtemp(join(tmpdir(), 'mcp-podman-routing-'));
    // The MCP template is not run here; any image reference will do for it.
    templates = await writeTemplates(dir, { busybox, everything: busybox });
  });

  after(async () => {
    for (const s of servers) await s.stop();
    const leftovers = await podman.sweep();
    await podman.stop();
    await rm(dir, { recursive: true, force: true });
    assert.equal(leftovers, 0, 'tests left containers behind');
  });

  it('re-adopts services after a restart: state from labels, Host routing and health resume', async () => {
    const first = await serve({ MCP_NETWORK: 'mcp-routing-net' });
    const created = await api(
      first.url,
      'POST',
      '/containers',
      { service_name: 'site', template: 'web', replicas: 2 },
      first.auth,
    );
    assert.equal(created.status, 201, created.text);
    const networks = await podman.client.json<{ name: string; labels?: Record<string, string> }[]>(
      'GET',
      '/libpod/networks/json',
    );
    const net = networks.find((n) => n.name === 'mcp-routing-net');
    assert.equal(
      net?.labels?.['io.mcp-podman.managed'],
      'true',
      'MCP_NETWORK is created, labelled, when missing',
    );
    assert.equal(await first.stop(), 0);

    const second = await serve({ MCP_NETWORK: 'mcp-routing-net' });
    const adopted = await waitFor('site to be adopted healthy', async () => {
      const s = (await api(second.url, 'GET', '/containers/site', undefined, second.auth)).json;
      return s?.state === 'running' ? s : undefined;
    });
    assert.equal(adopted.template, 'web');
    assert.equal(adopted.replicas.length, 2);
    const answers = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await http(`${second.url}/`, { headers: { host: 'site.localhost', ...second.auth } });
      assert.equal(res.status, 200);
      answers.add(res.text.trim());
    }
    assert.deepEqual([...answers].sort(), ['replica-0', 'replica-1']);
    assert.equal((await api(second.url, 'DELETE', '/containers/site', undefined, second.auth)).status, 204);
    await second.stop();
  });

  it('ENABLE_AUTH needs a token; with one, the API and Host routes require it, /health does not', async () => {
    const refused = await refusedStart(
      ['--transport', 'http', '--port', '0', '--socket-path', podman.socketPath],
      {
        ENABLE_AUTH: 'true',
      },
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /ENABLE_AUTH/);

    const server = await serve({ ENABLE_AUTH: 'true', MCP_PODMAN_AUTH_TOKEN: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    assert.equal((await api(server.url, 'GET', '/containers')).status, 401);
    assert.equal((await api(server.url, 'GET', '/containers', undefined, auth)).status, 200);
    assert.equal((await http(`${server.url}/health`)).status, 200);
    const created = await api(
      server.url,
      'POST',
      '/containers',
      { service_name: 'guarded', template: 'web' },
      auth,
    );
    assert.equal(created.status, 201, created.text);
    const anonymous = await http(`${server.url}/`, { headers: { host: 'guarded.localhost' } });
    assert.equal(anonymous.status, 401);
    const allowed = await http(`${server.url}/`, { headers: { host: 'guarded.localhost', ...auth } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.text.trim(), 'replica-0');
    assert.equal((await api(server.url, 'DELETE', '/containers/guarded', undefined, auth)).status, 204);
    await server.stop();
  });

  it('CORS_ORIGINS answers preflights with CORS headers; ENABLE_METRICS=false hides /metrics', async () => {
    const server = await serve({ CORS_ORIGINS: 'http://dash.example:3000', ENABLE_METRICS: 'false' });
    const preflight = await http(`${server.url}/containers`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://dash.example:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.ok(preflight.status === 204 || preflight.status === 200, String(preflight.status));
    assert.equal(preflight.headers['access-control-allow-origin'], 'http://dash.example:3000');
    const get = await http(`${server.url}/templates`, {
      headers: { origin: 'http://dash.example:3000', ...server.auth },
    });
    assert.equal(get.status, 200);
    assert.equal(get.headers['access-control-allow-origin'], 'http://dash.example:3000');
    const other = await http(`${server.url}/templates`, {
      headers: { origin: 'http://evil.example', ...server.auth },
    });
    assert.equal(other.status, 403);
    const metrics = await http(`${server.url}/metrics`, { headers: server.auth });
    assert.equal(metrics.status, 404);
    await server.stop();
  });
});
