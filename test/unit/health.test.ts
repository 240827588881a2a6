import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { FAILURES_TO_RESTART, HealthMonitor } from '../../src/api/services/health.js';
import { SERVICE_LABELS } from '../../src/api/services/labels.js';
import type { ListedContainer } from '../../src/api/services/state.js';
import type { PodmanClient } from '../../src/podman/client.js';

describe('HealthMonitor', () => {
  let server: Server;
  let port = 0;
  const hits: Record<string, number> = {};

  before(async () => {
    server = createServer((req, res) => {
      hits[req.url ?? ''] = (hits[req.url ?? ''] ?? 0) + 1;
      if (req.url === '/down') res.statusCode = 500;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const replica = (id: string, path: string, intervalSec?: number) =>
    ({
      Id: id,
      State: 'running',
      Labels: {
        [SERVICE_LABELS.service]: id,
        [SERVICE_LABELS.port]: String(port),
        [SERVICE_LABELS.healthPath]: path,
        ...(intervalSec ? { [SERVICE_LABELS.healthInterval]: String(intervalSec) } : {}),
      },
      Ports: [{ host_port: port, container_port: 80 }],
    }) as unknown as ListedContainer;

  it("probes each replica at its own service's interval, the default otherwise", async () => {
    const monitor = new HealthMonitor({
      // Healthy replicas are never restarted: a call to Podman here would be a bug.
      podman: () => Promise.reject(new Error('unexpected Podman call')),
      log: pino({ level: 'silent' }),
      timeoutMs: 1000,
      defaultIntervalMs: 50,
      onRestart: () => assert.fail('unexpected restart'),
      allowHostNetwork: false,
    });
    const containers = [replica('fast', '/fast'), replica('slow', '/slow', 3600)];
    for (let i = 0; i < 4; i++) {
      await monitor.round(containers);
      await new Promise((r) => setTimeout(r, 60));
    }
    assert.equal(hits['/fast'], 4, 'the default interval (50 ms) lets every round probe');
    assert.equal(hits['/slow'], 1, 'an hourly template interval probes once');
    assert.equal(monitor.get('fast')?.health, 'healthy');
    assert.equal(monitor.get('slow')?.health, 'healthy');
  });

  it('takes a replica the deploy saw answer as healthy, without probing it again within the interval', async () => {
    const monitor = new HealthMonitor({
      podman: () => Promise.reject(new Error('unexpected Podman call')),
      log: pino({ level: 'silent' }),
      timeoutMs: 1000,
      defaultIntervalMs: 3_600_000,
      onRestart: () => assert.fail('unexpected restart'),
      allowHostNetwork: false,
    });
    const fresh = replica('fresh', '/fresh');
    monitor.markHealthy(fresh.Id);
    assert.equal(monitor.get('fresh')?.health, 'healthy');
    await monitor.round([fresh]);
    assert.equal(hits['/fresh'], undefined, 'the deploy just probed it');
    assert.equal(monitor.get('fresh')?.health, 'healthy');
    await monitor.round([]);
    assert.equal(monitor.get('fresh'), undefined, 'a replica that is gone is forgotten');
  });

  it('does not restart an unhealthy replica whose host folder has become a link to /', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcpp-health-'));
    await symlink('/', join(dir, 'x'));
    const calls: string[] = [];
    // A strict double: the one call the check makes is answered, anything else (the restart) fails.
    const podman = {
      async json(method: string, path: string) {
        calls.push(`${method} ${path}`);
        if (method === 'GET' && path === '/libpod/containers/swapped/json')
          return { Id: 'swapped', Mounts: [{ Type: 'bind', Source: join(dir, 'x'), Destination: '/x' }] };
        // Who else could write above its folder: no one but itself here.
        if (method === 'GET' && path === '/libpod/info')
          return {
            store: {
              graphRoot: '/var/lib/containers/storage',
              volumePath: '/var/lib/containers/storage/volumes',
            },
          };
        if (method === 'GET' && path === '/containers/json') return [{ Id: 'swapped', Mounts: [] }];
        if (method === 'GET' && path === '/libpod/volumes/json') return [];
        throw new Error(`unexpected Podman call ${method} ${path}`);
      },
      async call(method: string, path: string) {
        throw new Error(`unexpected Podman call ${method} ${path}`);
      },
    } as unknown as PodmanClient;
    let restarts = 0;
    const monitor = new HealthMonitor({
      podman: async () => podman,
      log: pino({ level: 'silent' }),
      timeoutMs: 1000,
      defaultIntervalMs: 1,
      onRestart: () => restarts++,
      allowHostNetwork: false,
    });
    const swapped = replica('swapped', '/down');
    for (let i = 0; i < FAILURES_TO_RESTART; i++) {
      await monitor.round([swapped]);
      await new Promise((r) => setTimeout(r, 5));
    }
    await rm(dir, { recursive: true });
    assert.deepEqual(
      calls,
      [
        'GET /libpod/containers/swapped/json',
        'GET /libpod/info',
        'GET /containers/json',
        'GET /libpod/volumes/json',
      ],
      'the replica was inspected, not restarted',
    );
    assert.equal(restarts, 0);
  });
});
