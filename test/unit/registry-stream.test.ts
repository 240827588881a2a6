import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isMcpPodmanError } from '../../src/errors.js';
import { PodmanClient } from '../../src/podman/client.js';
import { registryOf, registryStream, type StallWatch } from '../../src/podman/registry-stream.js';

type Line = { stream: string };

/**
 * A stand-in for Podman's pull endpoint on a unix socket: it answers one path, with a script of
 * lines and pauses, and records anything else it is asked (the test then fails). The real
 * PodmanClient talks to it, so aborts go through undici as they do against Podman.
 */
interface Script {
  /** Milliseconds to wait before each line; a null ends the script with the connection held open. */
  steps: (number | null)[];
}

describe('registryStream: a stall timer reset by every line', () => {
  let dir: string;
  let server: Server;
  let client: PodmanClient;
  let script: Script = { steps: [] };
  const unexpected: string[] = [];
  const open = new Set<ServerResponse>();
  let closedEarly = 0;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || !req.url?.startsWith('/v4.0.0/libpod/images/pull?')) {
      unexpected.push(`${req.method} ${req.url}`);
      res.writeHead(500).end('{"message":"not handled by the test double"}');
      return;
    }
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      if (!res.writableEnded) closedEarly++;
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    let n = 0;
    for (const wait of script.steps) {
      if (wait === null) return; // silent from here on, the connection held open
      await new Promise((r) => setTimeout(r, wait));
      if (res.destroyed) return;
      res.write(`${JSON.stringify({ stream: `line ${++n}\n` })}\n`);
    }
    res.end();
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpp-stall-unit-'));
    const socketPath = join(dir, 'podman.sock');
    server = createServer((req, res) => void serve(req, res));
    await new Promise<void>((r) => server.listen(socketPath, r));
    client = new PodmanClient({ kind: 'unix', socketPath });
  });

  after(async () => {
    for (const res of open) res.destroy();
    await client.close();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(unexpected, [], 'the double was asked something it does not handle');
  });

  function pull(stall: Partial<StallWatch<Line>> = {}, signal?: AbortSignal): Promise<string[]> {
    return (async () => {
      const seen: string[] = [];
      const lines = registryStream<Line>(client, 'POST', '/libpod/images/pull', {
        query: { reference: 'registry.test:5000/team/app:1' },
        signal,
        stall: {
          stallMs: 1000,
          action: 'The pull of "app"',
          image: 'registry.test:5000/team/app:1',
          ...stall,
        },
      });
      for await (const line of lines) seen.push(line.stream.trim());
      return seen;
    })();
  }

  it('lets a slow pull that keeps talking run well past the stall time', async () => {
    script = { steps: Array(10).fill(300) };
    const seen = await pull();
    assert.equal(seen.length, 10, 'every line arrived: 3 s of progress under a 1 s stall');
  });

  it('ends a pull that stops talking with TIMEOUT naming the registry, and drops the connection', async () => {
    script = { steps: [100, 100, null] };
    const before = closedEarly;
    await assert.rejects(pull(), (err) => {
      assert.ok(isMcpPodmanError(err), String(err));
      assert.equal(err.code, 'TIMEOUT');
      assert.match(
        err.message,
        /registry at registry\.test:5000 accepted the connection and sent nothing for 1 s/,
      );
      assert.match(err.message, /--registry-stall/);
      assert.match(err.message, /build the image locally or use an image already in local storage/);
      assert.deepEqual(err.details, {
        image: 'registry.test:5000/team/app:1',
        registry: 'registry.test:5000',
        stallMs: 1000,
      });
      return true;
    });
    for (let i = 0; i < 100 && closedEarly === before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(closedEarly, before + 1, 'the stalled request was ended, so Podman sees its client go');
  });

  it('times a stall before the answer starts, too', async () => {
    script = { steps: [null] };
    await assert.rejects(pull({ stallMs: 500 }), (err) => isMcpPodmanError(err) && err.code === 'TIMEOUT');
  });

  it("reports the caller's own cancel as CANCELLED, not as a stall", async () => {
    script = { steps: [100, null] };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await assert.rejects(pull({ stallMs: 5000 }, controller.signal), (err) => {
      assert.ok(isMcpPodmanError(err) || (err as Error).name === 'AbortError', String(err));
      if (isMcpPodmanError(err)) assert.equal(err.code, 'CANCELLED');
      return true;
    });
  });

  it('does not time local phases (a silent RUN step), and times the pull a phase names', async () => {
    // line 1 starts local work, silent for 1.5 s under a 1 s stall; line 2 names a pull from
    // another registry, then silence.
    script = { steps: [50, 1500, null] };
    const phase = (line: Line) => (line.stream.startsWith('line 1') ? false : 'other.test/base:2');
    await assert.rejects(pull({ phase }), (err) => {
      assert.ok(isMcpPodmanError(err), String(err));
      assert.equal(err.code, 'TIMEOUT');
      assert.match(err.message, /registry at other\.test accepted/);
      return true;
    });
  });
});

describe('registryOf', () => {
  it('names the registry of a reference that has one, and none for a short name', () => {
    assert.equal(registryOf('127.0.0.1:5000/x/y:latest'), '127.0.0.1:5000');
    assert.equal(registryOf('quay.io/team/app'), 'quay.io');
    assert.equal(registryOf('localhost/app:1'), 'localhost');
    assert.equal(registryOf('library/alpine'), undefined);
    assert.equal(registryOf('alpine:3'), undefined);
  });
});
