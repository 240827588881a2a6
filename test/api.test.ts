import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Hono } from 'hono';
import { stringify } from 'yaml';
import { registerRoutes } from '../src/api/route-kit.js';
import { apiRoutes } from '../src/api/routes.js';
import type { ServiceManager } from '../src/api/services/manager.js';
import type { App } from '../src/server/app.js';
import { waitFor, withAuth, writeTemplates } from './helpers/api.js';
import { ensureBusybox, ensureNpmServerImage } from './helpers/images.js';
import {
  CLI,
  call,
  connectHttp,
  errorOf,
  type HttpServerProcess,
  startHttpServer,
  textOf,
} from './helpers/mcp.js';
import { listContainers, podmanCli, startPodman, type TestPodman } from './helpers/podman.js';

const SERVICE = 'io.mcp-podman.service';
const run = promisify(execFile);

async function mcpClient(url: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'api-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** Which replica answered: the reference server's get-env tool shows the replica's environment. */
async function replicaOf(client: Client): Promise<string> {
  const text = textOf(await call(client, 'get-env'));
  const m = /MCP_PODMAN_REPLICA"?\s*[:=]\s*"?(\d+)/.exec(text);
  assert.ok(m, `get-env did not show MCP_PODMAN_REPLICA: ${text.slice(0, 300)}`);
  return m[1]!;
}

describe('management API: templates, services, health, limits and OpenAPI', () => {
  let podman: TestPodman;
  let server: HttpServerProcess;
  let dir: string;
  let base: string;
  // Every request here carries the server's token, as a configured client's would.
  const { api, http, fetch } = withAuth(() => server.auth);

  before(async () => {
    const busybox = await ensureBusybox();
    const everything = await ensureNpmServerImage(
      '@modelcontextprotocol/server-everything',
      'server-everything',
    );
    podman = await startPodman();
    dir = await mkdtemp(join(tmpdir(), 'mcp-podman-api-'));
    const templates = await writeTemplates(dir, { busybox, everything });
    const catalog = join(dir, 'catalog.yaml');
    await writeFile(
      catalog,
      stringify({
        entries: [
          { id: 'everything', name: 'Everything', image: everything, args: ['stdio'] },
          // A server that prints its environment and dies before it answers, as a broken one may.
          {
            id: 'leaky',
            name: 'Leaky',
            image: busybox,
            command: ['sh', '-c', 'echo "starting with $DATABASE_HOST" >&2; exit 3'],
            env: { DATABASE_HOST: { required: true } },
          },
        ],
      }),
    );
    server = await startHttpServer(
      ['--socket-path', podman.socketPath, '--catalog', catalog, '--no-builtin-catalog'],
      {
        MCP_PODMAN_TEMPLATES: templates,
        HEALTH_CHECK_INTERVAL: '0.5',
        MAX_CONTAINERS: '5',
        XDG_CONFIG_HOME: dir,
      },
    );
    base = server.url;
  });

  /** The containers of one service, straight from Podman. */
  async function serviceContainers(name: string) {
    return (await listContainers(podman.client)).filter((c) => c.Labels?.[SERVICE] === name);
  }

  after(async () => {
    await server?.stop();
    const leftovers = await podman.sweep();
    await podman.stop();
    await rm(dir, { recursive: true, force: true });
    assert.equal(leftovers, 0, 'tests left containers behind');
  });

  it('lists templates from the templates folder and the catalog, and shows one', async () => {
    const list = await api(base, 'GET', '/templates');
    assert.equal(list.status, 200);
    const byName = Object.fromEntries(list.json.templates.map((t: { name: string }) => [t.name, t]));
    assert.equal(byName.web.kind, 'http');
    assert.equal(byName.web.port, 8080);
    assert.equal(byName.evhttp.kind, 'mcp-http');
    assert.deepEqual(byName['needs-key'].required_env_vars, ['API_KEY']);
    assert.equal(byName.everything.kind, 'mcp-stdio');
    assert.match(byName.everything.source, /catalog\.yaml$/);
    const one = await api(base, 'GET', '/templates/web');
    assert.equal(one.status, 200);
    assert.equal(one.json.name, 'web');
    const missing = await api(base, 'GET', '/templates/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, 'NOT_FOUND');
  });

  it('runs an http service with 2 replicas, routes Host web.localhost round-robin, and restarts an unhealthy replica', async () => {
    const created = await api(base, 'POST', '/containers', {
      service_name: 'web',
      template: 'web',
      replicas: 2,
    });
    assert.equal(created.status, 201, created.text);
    const svc = created.json;
    assert.equal(svc.kind, 'http');
    assert.equal(svc.state, 'running');
    assert.equal(svc.replicas_desired, 2);
    assert.deepEqual(
      svc.replicas.map((r: { health: string }) => r.health),
      ['healthy', 'healthy'],
    );
    assert.equal(svc.routes.host, 'web.localhost');
    assert.equal(svc.labels.team, 'tests');

    const containers = await serviceContainers('web');
    assert.equal(containers.length, 2);
    for (const c of containers) {
      assert.equal(c.Labels?.['io.mcp-podman.managed'], 'true');
      assert.equal(c.Labels?.['io.mcp-podman.template'], 'web');
      assert.equal(c.Labels?.['traefik.enable'], 'true');
      assert.equal(c.Labels?.['traefik.http.routers.web.rule'], 'Host(`web.localhost`)');
      assert.equal(c.Labels?.['traefik.http.services.web.loadbalancer.server.port'], '8080');
    }
    const inspect = await podman.client.json<{
      HostConfig: { Memory: number; NanoCpus?: number; CpuQuota?: number };
    }>('GET', `/libpod/containers/${containers[0]!.Id}/json`);
    assert.equal(inspect.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(inspect.HostConfig.CpuQuota, 50_000);

    const port = new URL(base).port;
    const answers = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await http(`${base}/index.html`, { headers: { host: `web.localhost:${port}` } });
      assert.equal(res.status, 200);
      answers.add(res.text.trim());
    }
    assert.deepEqual([...answers].sort(), ['replica-0', 'replica-1']);

    // The index is removed inside replica 0: its health checks fail, it leaves rotation and is restarted.
    await podmanCli(['exec', 'mcp-podman-svc.web.0', 'rm', '/var/www/index.html']);
    const seen = new Set<string>();
    const healed = await waitFor('replica 0 to be restarted and healthy again', async () => {
      const status = (await api(base, 'GET', '/containers/web/status')).json;
      const r0 = status.replicas[0];
      seen.add(r0.health);
      return r0.restarts >= 1 && r0.health === 'healthy' && status.state === 'running' ? status : undefined;
    });
    // Between two polls it may go unhealthy and be restarted already: "none" is the fresh container before its first check.
    assert.ok(
      seen.has('unhealthy') || seen.has('starting') || seen.has('none'),
      `replica 0 never left rotation: ${[...seen]}`,
    );
    assert.equal(healed.replicas[1].restarts, 0);
    const after = await http(`${base}/index.html`, { headers: { host: 'web.localhost' } });
    assert.match(after.text, /^replica-\d/);
    const metrics = await http(`${base}/metrics`);
    assert.match(metrics.text, /mcp_podman_service_container_restarts_total\{service="web"\} 1/);
    assert.match(
      metrics.text,
      /mcp_podman_service_container_memory_bytes\{service="web",replica="mcp-podman-svc.web.0"\} \d+/,
    );
  });

  it('shows, lists and logs a service; a Host for no service is 404', async () => {
    const list = await api(base, 'GET', '/containers');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.json.services.map((s: { name: string }) => s.name),
      ['web'],
    );
    const one = await api(base, 'GET', '/containers/web');
    assert.equal(one.json.name, 'web');
    const logs = await api(base, 'GET', '/containers/web/logs?tail=10');
    assert.equal(logs.status, 200);
    const lines = logs.json.lines as { replica: string; line: string }[];
    assert.ok(
      lines.some((l) => l.replica === 'mcp-podman-svc.web.1' && l.line === 'started replica-1'),
      JSON.stringify(lines),
    );

    // follow=true streams server-sent events; reading the first event is enough.
    const controller = new AbortController();
    const res = await fetch(`${base}/containers/web/logs?follow=true&tail=5`, { signal: controller.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!/data: .*\n/.test(text)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    controller.abort();
    assert.match(text, /event: log/);
    assert.match(text, /"line":"started replica-\d"/);

    // The path to Kubernetes: Podman's YAML for the service's replicas, with a Service.
    const kube = await fetch(`${base}/containers/web/kube`);
    assert.equal(kube.status, 200);
    assert.match(kube.headers.get('content-type') ?? '', /yaml/);
    const yamlText = await kube.text();
    assert.match(yamlText, /kind: Pod/);
    assert.match(yamlText, /kind: Service/);
    assert.equal((await fetch(`${base}/containers/nope/kube`)).status, 404);

    const nobody = await http(`${base}/`, { headers: { host: 'nobody.localhost' } });
    assert.equal(nobody.status, 404);
    assert.equal(nobody.json.error.code, 'NOT_FOUND');
  });

  it('refuses bad requests with coded JSON errors', async () => {
    const malformed = await http(`${base}/containers`, {
      method: 'POST',
      body: '{"service_name":',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.error.code, 'INVALID_PARAMS');
    const huge = await http(`${base}/containers`, {
      method: 'POST',
      body: Buffer.alloc(1024 * 1024 + 10, 'a'),
    });
    assert.equal(huge.status, 413);
    assert.match(huge.json.error.message, /too large/);
    // A browser can send text/plain to any origin without a preflight: only JSON is taken.
    const plain = await http(`${base}/containers`, {
      method: 'POST',
      body: JSON.stringify({ service_name: 'x', template: 'web' }),
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(plain.status, 415);
    // Another local page (a proxied *.localhost service, another port) is not this server's origin.
    for (const origin of ['http://web.localhost:' + new URL(base).port, 'http://localhost:1']) {
      const cross = await api(
        base,
        'POST',
        '/containers',
        { service_name: 'x', template: 'web' },
        { origin },
      );
      assert.equal(cross.status, 403, origin);
    }
    // Host paths are not for API callers unless the operator allows folders.
    const bind = await api(base, 'POST', '/containers/rooted/start', {
      image: 'localhost/mcp-podman-test/busybox:latest',
      port: 80,
      volumes: { '/': '/host' },
    });
    assert.equal(bind.status, 403);
    assert.match(bind.json.error.message, /MCP_PODMAN_BIND_ROOTS/);
    const badName = await api(base, 'POST', '/containers', { service_name: 'Bad_Name', template: 'web' });
    assert.equal(badName.status, 400);
    assert.match(badName.json.error.message, /service_name/);
    const extra = await api(base, 'POST', '/containers', { service_name: 'x', template: 'web', surprise: 1 });
    assert.equal(extra.status, 400);
    const noTemplate = await api(base, 'POST', '/containers', { service_name: 'x', template: 'nope' });
    assert.equal(noTemplate.status, 404);
    const needsKey = await api(base, 'POST', '/containers', { service_name: 'x', template: 'needs-key' });
    assert.equal(needsKey.status, 400);
    assert.match(needsKey.json.error.message, /API_KEY/);
    const stdioReplicas = await api(base, 'POST', '/containers', {
      service_name: 'x',
      template: 'everything',
      replicas: 2,
    });
    assert.equal(stdioReplicas.status, 400);
    const duplicate = await api(base, 'POST', '/containers', { service_name: 'web', template: 'web' });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.json.error.code, 'CONFLICT');
    for (const [method, path] of [
      ['GET', '/containers/ghost'],
      ['GET', '/containers/ghost/status'],
      ['GET', '/containers/ghost/logs'],
      ['POST', '/containers/ghost/stop'],
      ['POST', '/containers/ghost/start'],
      ['DELETE', '/containers/ghost'],
    ] as const) {
      const res = await api(base, method, path);
      assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
      assert.equal(res.json.error.code, 'NOT_FOUND');
    }
    const badTail = await api(base, 'GET', '/containers/web/logs?tail=-3');
    assert.equal(badTail.status, 400);
    assert.equal((await serviceContainers('x')).length, 0);
  });

  it('enforces MAX_CONTAINERS, counting the managed service containers', async () => {
    const over = await api(base, 'POST', '/containers', {
      service_name: 'over',
      template: 'web',
      replicas: 4,
    });
    assert.equal(over.status, 429, over.text);
    assert.equal(over.json.error.code, 'LIMIT_EXCEEDED');
    assert.match(over.json.error.message, /MAX_CONTAINERS \(5; 2 in use\)/);
    assert.equal((await serviceContainers('over')).length, 0);
  });

  it('stops (keeping containers), starts again, and deletes a service', async () => {
    const stopped = await api(base, 'POST', '/containers/web/stop');
    assert.equal(stopped.status, 200, stopped.text);
    assert.equal(stopped.json.state, 'stopped');
    assert.equal((await serviceContainers('web')).length, 2);
    const noRoute = await http(`${base}/`, { headers: { host: 'web.localhost' } });
    assert.equal(noRoute.status, 503);
    const started = await api(base, 'POST', '/containers/web/start');
    assert.equal(started.status, 200, started.text);
    await waitFor(
      'web to run again',
      async () => (await api(base, 'GET', '/containers/web')).json.state === 'running',
    );
    const removed = await api(base, 'DELETE', '/containers/web');
    assert.equal(removed.status, 204);
    assert.equal((await serviceContainers('web')).length, 0);
    assert.equal((await api(base, 'GET', '/containers/web')).status, 404);
  });

  it('starts a plain http service from an image (no template), with a secret env kept out of the spec', async (t) => {
    // A failed assertion must not leave the service behind to fail the tests after it.
    t.after(() => api(base, 'DELETE', '/containers/adhoc'));
    const res = await api(base, 'POST', '/containers/adhoc/start', {
      image: 'localhost/mcp-podman-test/busybox:latest',
      port: 8080,
      command: ['sh', '-c', 'echo ok > /var/www/index.html && exec httpd -f -p 8080 -h /var/www'],
      health_check_path: '/',
      environment: { PLAIN: 'visible', API_TOKEN: 'supersecret-value-123' },
      restart_policy: 'no',
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.template, '-');
    assert.equal(res.json.kind, 'http');
    assert.equal(res.json.state, 'running', res.text);
    const [c] = await serviceContainers('adhoc');
    const inspect = await podman.client.json<{ Config: { Env: string[] } }>(
      'GET',
      `/libpod/containers/${c!.Id}/json`,
    );
    assert.ok(inspect.Config.Env.includes('PLAIN=visible'));
    // Podman's inspect shows what a secret put in the env; what we answer and label never does.
    assert.ok(!res.text.includes('supersecret-value-123'));
    assert.ok(!JSON.stringify(c!.Labels).includes('supersecret-value-123'));
    const secrets = await podman.client.json<{ Spec: { Name: string } }[]>('GET', '/libpod/secrets/json');
    assert.ok(secrets.some((s) => s.Spec.Name === 'mcp-podman-svc.adhoc.API_TOKEN'));
    const again = await api(base, 'POST', '/containers/adhoc/start', {
      image: 'localhost/mcp-podman-test/busybox:latest',
      port: 8080,
    });
    assert.equal(again.status, 409);
    assert.equal((await api(base, 'DELETE', '/containers/adhoc')).status, 204);
    const left = await podman.client.json<{ Spec: { Name: string } }[]>('GET', '/libpod/secrets/json');
    assert.ok(!left.some((s) => s.Spec.Name.startsWith('mcp-podman-svc.adhoc.')));
  });

  it('keeps each MCP session on its replica through /servers/{name}/mcp', async (t) => {
    t.after(() => api(base, 'DELETE', '/containers/evh'));
    const created = await api(base, 'POST', '/containers', {
      service_name: 'evh',
      template: 'evhttp',
      replicas: 2,
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.routes.mcp, '/servers/evh/mcp');
    const a = await mcpClient(`${base}/servers/evh/mcp`, server.auth);
    const b = await mcpClient(`${base}/servers/evh/mcp`, server.auth);
    try {
      const first = [await replicaOf(a), await replicaOf(b)];
      assert.deepEqual([...first].sort(), ['0', '1'], 'new sessions go round-robin');
      for (let i = 0; i < 3; i++) {
        assert.equal(await replicaOf(a), first[0]);
        assert.equal(await replicaOf(b), first[1]);
      }
    } finally {
      await a.close();
      await b.close();
    }
    const metrics = await http(`${base}/metrics`);
    assert.match(metrics.text, /mcp_podman_mount_calls_total\{mount="evh",outcome="ok"\} \d+/);
    const gone = await http(`${base}/servers/evh/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'mcp-session-id': 'not-a-session',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(gone.status, 404);
    assert.equal((await api(base, 'DELETE', '/containers/evh')).status, 204);
  });

  it('keeps the env values a failed call sent out of the activity log, which other clients read', async () => {
    const client = await connectHttp(base, server.auth);
    try {
      const failed = errorOf(
        await call(client, 'registry_add', {
          entry_id: 'leaky',
          env: { DATABASE_HOST: 'db-internal-7781.example' },
        }),
      );
      // The caller sees its own value echoed by the server it started...
      assert.match(failed.message, /starting with db-internal-7781\.example/);
    } finally {
      await client.close();
    }
    // ...but the activity log keeps the message without it.
    const { errors } = (await api(base, 'GET', '/api/activity')).json;
    const logged = errors.find((e: { tool: string }) => e.tool === 'registry_add');
    assert.ok(logged, JSON.stringify(errors));
    assert.match(logged.message, /starting with \*{8}/);
    assert.ok(!JSON.stringify(errors).includes('db-internal-7781'), JSON.stringify(errors));
  });

  it('serves an mcp-stdio service as a gateway mount with its own endpoint, and records activity', async (t) => {
    t.after(() => api(base, 'DELETE', '/containers/ev'));
    const created = await api(base, 'POST', '/containers', { service_name: 'ev', template: 'everything' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.kind, 'mcp-stdio');
    assert.ok(created.json.tools.includes('echo'));
    const alone = await mcpClient(`${base}/servers/ev/mcp`, server.auth);
    const main = await connectHttp(base, server.auth);
    try {
      const names = (await alone.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('echo') && !names.some((n) => n.startsWith('ev_')), names.join(','));
      assert.match(textOf(await call(alone, 'echo', { message: 'hi alone' })), /hi alone/);
      assert.ok((await main.listTools()).tools.some((t) => t.name === 'ev_echo'));
      assert.match(textOf(await call(main, 'ev_echo', { message: 'hi main' })), /hi main/);
      await call(main, 'podman_inspect', { container: 'no-such-container' });
    } finally {
      await alone.close();
      await main.close();
    }
    // A stdio server's log is its stderr: its stdout carries the JSON-RPC frames, which are no log.
    const logs = await api(base, 'GET', '/containers/ev/logs');
    assert.equal(logs.status, 200, logs.text);
    assert.match(logs.text, /Starting default \(STDIO\) server/);
    assert.ok(!logs.text.includes('jsonrpc'), `no protocol frames in the log: ${logs.text.slice(0, 500)}`);
    // `server ls` counts a ready mount as up, as the dashboard does.
    const ls = await run(process.execPath, [CLI, 'server', 'ls'], {
      env: { ...process.env, MCP_PODMAN_URL: base, MCP_PODMAN_AUTH_TOKEN: server.token ?? '' },
    });
    assert.match(ls.stdout, /^ev\s+mcp-stdio\s+\S+\s+running\s+1\/1\b/m, ls.stdout);
    const activity = (await api(base, 'GET', '/api/activity')).json;
    assert.ok(activity.calls.some((c: { tool: string; ok: boolean }) => c.tool === 'ev_echo' && c.ok));
    assert.ok(activity.calls.some((c: { tool: string; ok: boolean }) => c.tool === 'echo' && c.ok));
    const failed = activity.errors.find((e: { tool: string }) => e.tool === 'podman_inspect');
    assert.ok(failed?.code, JSON.stringify(activity.errors));
    const metrics = await http(`${base}/metrics`);
    assert.match(metrics.text, /mcp_podman_mount_calls_total\{mount="ev",outcome="ok"\} 2/);
    assert.match(metrics.text, /mcp_podman_active_mounts 1/);
    // Stop keeps the service and its tools, which answer UNAVAILABLE until it is started again.
    const stop = await api(base, 'POST', '/containers/ev/stop');
    assert.equal(stop.status, 200, stop.text);
    assert.equal(stop.json.state, 'stopped');
    const evContainers = async () =>
      (
        await podman.client.json<{ Labels?: Record<string, string> }[]>('GET', '/libpod/containers/json', {
          query: { all: true },
        })
      ).filter((c) => c.Labels?.['io.mcp-podman.mount'] === 'ev');
    assert.equal((await evContainers()).length, 0, 'a stopped mount has no container');
    const client = await connectHttp(base, server.auth);
    try {
      const refused = errorOf(await call(client, 'ev_echo', { message: 'while stopped' }));
      assert.equal(refused.code, 'UNAVAILABLE');
      assert.match(refused.message, /start/);
      const started = await api(base, 'POST', '/containers/ev/start');
      assert.equal(started.status, 200, started.text);
      assert.equal(started.json.state, 'running');
      assert.match(textOf(await call(client, 'ev_echo', { message: 'back' })), /back/);
      assert.equal((await evContainers()).length, 1);
    } finally {
      await client.close();
    }
    // Sessions left open on the service's own endpoint are closed with the service, not 30 min later.
    const lingering = await mcpClient(`${base}/servers/ev/mcp`, server.auth);
    const sessions = async () =>
      (await http(`${base}/metrics`, { headers: { accept: 'application/json' } })).json
        .active_sessions as number;
    const open = await sessions();
    assert.equal((await api(base, 'DELETE', '/containers/ev')).status, 204);
    // Two sessions on that endpoint: this one, and `alone`'s, whose client closed without ending it.
    await waitFor('the endpoint sessions to be closed', async () => (await sessions()) === open - 2, 10_000);
    await lingering.close();
    assert.equal((await api(base, 'GET', '/containers')).json.services.length, 0);
  });

  it('publishes a valid OpenAPI 3.1 document covering every route', async () => {
    const res = await api(base, 'GET', '/openapi.json');
    assert.equal(res.status, 200);
    const doc = res.json;
    const validator = new Validator();
    const result = await validator.validate(doc);
    assert.equal(validator.version, '3.1');
    assert.ok(result.valid, JSON.stringify(result).slice(0, 2000));
    // The routes Hono actually serves, from the same table the server registers.
    const hono = new Hono();
    registerRoutes(hono, {} as App, apiRoutes({} as App, {} as ServiceManager));
    assert.ok(hono.routes.length >= 11);
    for (const route of hono.routes) {
      const path = route.path.replace(/:(\w+)/g, '{$1}');
      assert.ok(
        doc.paths[path]?.[route.method.toLowerCase()],
        `${route.method} ${path} is not in the OpenAPI document`,
      );
    }
    for (const method of ['post', 'get', 'delete']) assert.ok(doc.paths['/servers/{name}/mcp'][method]);
    for (const method of ['post', 'get', 'delete']) assert.ok(doc.paths['/mcp'][method]);
    assert.ok(doc.paths['/openapi.json'].get);
    assert.ok(doc.paths['/sse'].get && doc.paths['/messages'].post, 'the legacy SSE transport');
    assert.ok(doc.paths['/metrics'].get, '/metrics is listed');
    // /health is listed as open, with the fields it really answers.
    const health = doc.paths['/health'].get;
    assert.deepEqual(health.security, []);
    const body = (await http(`${base}/health`)).json;
    assert.deepEqual(
      Object.keys(body).sort(),
      [...health.responses['200'].content['application/json'].schema.required].sort(),
    );
    assert.ok(doc.components.schemas.Service);
  });
});
