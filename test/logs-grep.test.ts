import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX, ensureBusybox } from './helpers/images.js';
import { call, connectStdio, errorOf, type StdioServer, textOf } from './helpers/mcp.js';
import { podmanCli, startPodman, type TestPodman } from './helpers/podman.js';

const POD = `mcpp-redos-pod-${process.pid}`;
const CONTAINER = `mcpp-redos-${process.pid}`;
/** 35 "a"s then "!": a backtracking engine tries every split of the "a"s before "^(a+)+$" fails. */
const EVIL_LINE = `${'a'.repeat(35)}!`;
const CATASTROPHIC = '^(a+)+$';
/**
 * Well under the minutes a backtracking engine spends on EVIL_LINE: a server that blocks fails the
 * test here instead of hanging it.
 */
const CALL_BOUND_MS = 20_000;

describe('log grep cannot stall the server (ReDoS), over stdio in --read-only mode', () => {
  let podman: TestPodman;
  let server: StdioServer;

  before(async () => {
    podman = await startPodman();
    await ensureBusybox();
    // Read-only mode exposes both log tools, so the fixture is made with the CLI.
    await podmanCli(['pod', 'create', '--name', POD]);
    await podmanCli(['run', '--pod', POD, '--name', CONTAINER, BUSYBOX, 'echo', EVIL_LINE]);
    server = await connectStdio(['--socket-path', podman.socketPath, '--log-level', 'warn', '--read-only']);
  });

  after(async () => {
    await server?.close();
    await podman.sweep();
    await podman.stop();
  });

  /** Runs a catastrophic grep and, at the same time, another call; both must finish within the bound. */
  async function grepBesideAnotherCall(tool: string, args: Record<string, unknown>) {
    const options = { timeout: CALL_BOUND_MS };
    const [grep, other] = await Promise.all([
      server.client.callTool(
        { name: tool, arguments: { ...args, tail: -1, grep: CATASTROPHIC } },
        undefined,
        options,
      ),
      server.client.callTool({ name: 'podman_ps', arguments: { all: true } }, undefined, options),
    ]);
    assert.equal(other.isError, undefined, textOf(other as never));
    assert.equal(grep.isError, undefined, textOf(grep as never));
    return grep.structuredContent as Record<string, unknown>;
  }

  it('podman_logs greps a catastrophic pattern over the line in linear time, and other calls are answered', async () => {
    const plain = await call(server.client, 'podman_logs', { container: CONTAINER, tail: -1 });
    assert.equal(plain.structuredContent!.logs, `${EVIL_LINE}\n`, 'the line the attack needs is there');

    const grep = await grepBesideAnotherCall('podman_logs', { container: CONTAINER });
    assert.equal(grep.logs, '');
    assert.equal(grep.lines, 0);

    const hit = await call(server.client, 'podman_logs', {
      container: CONTAINER,
      tail: -1,
      grep: '^(a+)+!$',
    });
    assert.equal(
      hit.structuredContent!.logs,
      `${EVIL_LINE}\n`,
      'a matching RE2 pattern still keeps the line',
    );
  });

  it('podman_pod_logs does the same', async () => {
    const plain = await call(server.client, 'podman_pod_logs', { pod: POD, tail: -1 });
    assert.equal(plain.structuredContent!.logs, `[${CONTAINER}] ${EVIL_LINE}\n`, textOf(plain));

    const grep = await grepBesideAnotherCall('podman_pod_logs', { pod: POD });
    assert.equal(grep.logs, '');
  });

  it('refuses what RE2 cannot match in linear time with INVALID_PARAMS naming the syntax', async () => {
    for (const [tool, args] of [
      ['podman_logs', { container: CONTAINER }],
      ['podman_pod_logs', { pod: POD }],
    ] as const) {
      for (const pattern of ['(a)\\1', 'a(?=!)', '(?<!b)a']) {
        const error = errorOf(await call(server.client, tool, { ...args, grep: pattern }));
        assert.equal(error.code, 'INVALID_PARAMS', `${tool} ${pattern}`);
        assert.match(error.message, /grep: must be a regular expression in RE2 syntax/);
      }
    }
  });
});
