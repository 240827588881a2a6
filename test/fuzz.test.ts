import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ERROR_CODES } from '../src/errors.js';
import { BUSYBOX, ensureBusybox } from './helpers/images.js';
import { CLI } from './helpers/mcp.js';
import { podmanCli, startPodman, type TestPodman } from './helpers/podman.js';
import { type JsonSchema, requiredArgs, typesOf } from './helpers/schema-args.js';

type Message = { jsonrpc?: string; id?: unknown; method?: string; result?: any; error?: any };

/**
 * An MCP peer that writes raw frames to the CLI's stdin, so it can send what no SDK client would.
 * Every stdout line must be a JSON-RPC message; anything else is recorded as a protocol violation.
 */
class RawPeer {
  readonly child: ChildProcess;
  readonly violations: string[] = [];
  private pending = '';
  private readonly inbox: Message[] = [];
  private waiter?: () => void;
  private nextId = 1000;
  private stderrTail = '';

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [CLI, 'serve', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-4000);
    });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.pending += d.toString();
      let nl = this.pending.indexOf('\n');
      while (nl >= 0) {
        const line = this.pending.slice(0, nl);
        this.pending = this.pending.slice(nl + 1);
        try {
          const message = JSON.parse(line) as Message;
          if (message.jsonrpc !== '2.0') this.violations.push(line.slice(0, 300));
          // Notifications (list changes, progress, log messages) are not answers to anything.
          if (message.method === undefined) this.inbox.push(message);
        } catch {
          this.violations.push(line.slice(0, 300));
        }
        nl = this.pending.indexOf('\n');
      }
      this.waiter?.();
    });
  }

  get stderr(): string {
    return this.stderrTail;
  }

  write(frame: string): void {
    this.child.stdin!.write(`${frame}\n`);
  }

  /** Waits for the first answer that `match` accepts. */
  async take(match: (m: Message) => boolean, timeoutMs = 30_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex(match);
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      if (this.child.exitCode !== null) throw new Error(`the server exited: ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Sends a request whose params are given as JSON text (so it may hold 1e309) and waits for its answer. */
  async requestRaw(method: string, paramsJson: string, timeoutMs?: number): Promise<Message> {
    const id = this.nextId++;
    this.write(`{"jsonrpc":"2.0","id":${id},"method":"${method}","params":${paramsJson}}`);
    return this.take((m) => m.id === id, timeoutMs);
  }

  request(method: string, params: unknown = {}): Promise<Message> {
    return this.requestRaw(method, JSON.stringify(params));
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.end();
    const kill = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(kill);
  }
}

/** JSON.stringify cannot write 1e309 (it becomes null); this placeholder is swapped for it in the frame. */
const HUGE_NUMBER = '\u0000mcpp-1e309\u0000';
const toFrameJson = (value: unknown) =>
  JSON.stringify(value).split(JSON.stringify(HUGE_NUMBER)).join('1e309');

const HOSTILE_STRINGS: unknown[] = [
  '',
  ' ',
  '\t\n',
  '*',
  '.',
  '..',
  '../../etc',
  '/',
  '-rf',
  '--all',
  'all',
  'z'.repeat(70_000),
  'mcpp\u0000absent',
  '\u202e\u{1F4A3}ünïcødé',
  '$(id)',
  '`id`',
  '; rm -rf /',
  '| cat /etc/passwd',
  '%2e%2e%2f',
  '{{.Name}}',
  'mcpp-absent*',
];
const NON_STRINGS: unknown[] = [42, -1, true, null, [], {}, ['*']];
const HOSTILE_NUMBERS: unknown[] = [-1, -1e9, 1.5, HUGE_NUMBER, 2 ** 53 + 2, '1', '', null, true, [], {}];
const HOSTILE_BOOLEANS: unknown[] = ['true', 1, 0, null, [], {}, 'yes'];
const HOSTILE_ARRAYS: unknown[] = [
  [],
  [''],
  ['*'],
  ['..', '/'],
  [null],
  [[]],
  [42],
  'not-an-array',
  {},
  null,
  Array.from({ length: 5000 }, () => 'z'),
  ['-rf', '; rm -rf /'],
];
const nested = (depth: number): unknown => (depth === 0 ? 'deep' : { a: nested(depth - 1) });
const HOSTILE_OBJECTS: unknown[] = [
  [],
  'not-an-object',
  null,
  42,
  { '': '' },
  { '*': '*' },
  JSON.parse('{"__proto__":{"polluted":"yes"}}'),
  nested(400),
  { ['k'.repeat(10_000)]: 'v' },
  { a: HUGE_NUMBER },
];

function hostileFor(schema: JsonSchema): unknown[] {
  const types = typesOf(schema);
  if (types.includes('string')) return [...HOSTILE_STRINGS, ...NON_STRINGS];
  if (types.includes('integer') || types.includes('number')) return HOSTILE_NUMBERS;
  if (types.includes('boolean')) return HOSTILE_BOOLEANS;
  if (types.includes('array')) return HOSTILE_ARRAYS;
  if (types.includes('object')) return HOSTILE_OBJECTS;
  return [...HOSTILE_STRINGS.slice(0, 8), ...NON_STRINGS, ...HOSTILE_OBJECTS.slice(0, 4)];
}

interface ToolListing {
  name: string;
  inputSchema: JsonSchema;
  annotations?: { readOnlyHint?: boolean };
}

interface FuzzCase {
  tool: string;
  args: Record<string, unknown>;
}

const ABSENT = 'mcpp-fuzz-absent';
const CALL_BUDGET = 600;

/**
 * Hostile arguments for every tool: each property in turn gets values chosen round-robin from its
 * type's list while the required ones name nothing that exists, so a call can only touch what it
 * names. Read-only tools also get prototype-polluting and unknown keys.
 */
function fuzzCases(tools: ToolListing[]): FuzzCase[] {
  const props = tools.flatMap((t) =>
    Object.keys(t.inputSchema.properties ?? {}).map((p) => ({ tool: t, p })),
  );
  const perProperty = Math.max(3, Math.floor((CALL_BUDGET - tools.length) / Math.max(1, props.length)));
  const cases: FuzzCase[] = [];
  props.forEach(({ tool, p }, n) => {
    const values = hostileFor(tool.inputSchema.properties![p]!);
    const base = requiredArgs(tool.inputSchema, ABSENT);
    for (let j = 0; j < Math.min(perProperty, values.length); j++) {
      cases.push({ tool: tool.name, args: { ...base, [p]: values[(n * perProperty + j) % values.length] } });
    }
  });
  for (const tool of tools) {
    if (!tool.annotations?.readOnlyHint) continue;
    cases.push({
      tool: tool.name,
      args: {
        ...requiredArgs(tool.inputSchema, ABSENT),
        ...JSON.parse('{"__proto__":{"x":1},"constructor":"*"}'),
      },
    });
  }
  return cases;
}

const STACK_TRACE = /\n\s+at \S.*:\d+:\d+|\bat (?:async )?[\w.<>$]+ \((?:file:\/\/|node:|\/)[^)]*:\d+:\d+\)/;

/** What must not change: the fixtures' identity and state, read through the REST API. */
async function fixtureState(podman: TestPodman): Promise<Record<string, unknown>> {
  const c = podman.client;
  const container = async (name: string) => {
    const i = await c.json<any>('GET', `/libpod/containers/${name}/json`);
    return {
      id: i.Id,
      status: i.State.Status,
      startedAt: i.State.StartedAt,
      restarts: i.RestartCount,
      networks: Object.keys(i.NetworkSettings?.Networks ?? {}).sort(),
      mounts: (i.Mounts ?? []).map(
        (m: { Name?: string; Destination: string }) => `${m.Name}:${m.Destination}`,
      ),
    };
  };
  const image = await c.json<any>('GET', '/libpod/images/localhost/mcpp-fz/tagged:v1/json');
  const volume = await c.json<any>('GET', '/libpod/volumes/mcpp-fz-vol/json');
  const network = await c.json<any>('GET', '/libpod/networks/mcpp-fz-net/json');
  const pod = await c.json<any>('GET', '/libpod/pods/mcpp-fz-pod/json');
  const secret = await c.json<any>('GET', '/libpod/secrets/mcpp-fz-secret/json');
  return {
    running: await container('mcpp-fz-running'),
    stopped: await container('mcpp-fz-stopped'),
    image: { id: image.Id, tags: [...image.RepoTags].sort() },
    volume: { name: volume.Name, createdAt: volume.CreatedAt, mountpoint: volume.Mountpoint },
    network: { id: network.id, subnets: network.subnets },
    pod: { id: pod.Id, state: pod.State, containers: pod.Containers.map((x: { Id: string }) => x.Id).sort() },
    secret: { id: secret.ID, createdAt: secret.CreatedAt },
  };
}

interface Inventory {
  containers: string[];
  pods: string[];
  volumes: string[];
  networks: string[];
  secrets: string[];
  images: string[];
}

async function inventory(podman: TestPodman): Promise<Inventory> {
  const c = podman.client;
  const ids = <T>(list: T[] | null, key: (t: T) => string) => (list ?? []).map(key);
  return {
    containers: ids(
      await c.json<{ Id: string }[]>('GET', '/libpod/containers/json', { query: { all: true } }),
      (x) => x.Id,
    ),
    pods: ids(await c.json<{ Id: string }[]>('GET', '/libpod/pods/json'), (x) => x.Id),
    volumes: ids(await c.json<{ Name: string }[]>('GET', '/libpod/volumes/json'), (x) => x.Name),
    networks: ids(await c.json<{ name: string }[]>('GET', '/libpod/networks/json'), (x) => x.name),
    secrets: ids(await c.json<{ ID: string }[]>('GET', '/libpod/secrets/json'), (x) => x.ID),
    images: ids(
      await c.json<{ Id: string }[]>('GET', '/libpod/images/json', { query: { all: true } }),
      (x) => x.Id,
    ),
  };
}

/** Removes whatever exists now and did not before; returns what it removed. */
async function removeNew(podman: TestPodman, before: Inventory): Promise<string[]> {
  const now = await inventory(podman);
  const c = podman.client;
  const removed: string[] = [];
  const fresh = (key: keyof Inventory) => now[key].filter((x) => !before[key].includes(x));
  const steps: [keyof Inventory, (x: string) => Promise<unknown>][] = [
    [
      'containers',
      (x) => c.call('DELETE', `/libpod/containers/${x}`, { query: { force: true, v: true, timeout: 0 } }),
    ],
    ['pods', (x) => c.call('DELETE', `/libpod/pods/${x}`, { query: { force: true, timeout: 0 } })],
    [
      'volumes',
      (x) => c.call('DELETE', `/libpod/volumes/${encodeURIComponent(x)}`, { query: { force: true } }),
    ],
    [
      'networks',
      (x) => c.call('DELETE', `/libpod/networks/${encodeURIComponent(x)}`, { query: { force: true } }),
    ],
    ['secrets', (x) => c.call('DELETE', `/libpod/secrets/${x}`)],
    ['images', (x) => c.call('DELETE', `/libpod/images/${x}`, { query: { force: true } })],
  ];
  for (const [key, remove] of steps) {
    for (const x of fresh(key)) {
      await remove(x).catch(() => undefined);
      removed.push(`${key}:${x}`);
    }
  }
  return removed;
}

const FIXTURE_CLEANUP: string[][] = [
  ['rm', '-f', '-t', '0', 'mcpp-fz-running', 'mcpp-fz-stopped'],
  ['pod', 'rm', '-f', '-t', '0', 'mcpp-fz-pod'],
  ['volume', 'rm', '-f', 'mcpp-fz-vol'],
  ['network', 'rm', '-f', 'mcpp-fz-net'],
  ['secret', 'rm', 'mcpp-fz-secret'],
  ['untag', BUSYBOX, 'localhost/mcpp-fz/tagged:v1'],
];

async function removeFixtures(): Promise<void> {
  for (const args of FIXTURE_CLEANUP) await podmanCli(args).catch(() => undefined);
}

describe('protocol robustness and a fuzz of every tool against a throwaway Podman', () => {
  let podman: TestPodman;
  let peer: RawPeer;

  before(async () => {
    podman = await startPodman();
    await ensureBusybox();
    await removeFixtures();
    await podmanCli(['volume', 'create', 'mcpp-fz-vol']);
    await podmanCli(['network', 'create', 'mcpp-fz-net']);
    await podmanCli(['pod', 'create', '--name', 'mcpp-fz-pod']);
    await podmanCli(['pod', 'start', 'mcpp-fz-pod']);
    // From a file: Podman reads `-` only from a FIFO, and Node's stdin pipes are sockets.
    await writeFile(join(podman.dir, 'secret.txt'), 'fixture-secret-value');
    await podmanCli(['secret', 'create', 'mcpp-fz-secret', join(podman.dir, 'secret.txt')]);
    await podmanCli([
      'run',
      '-d',
      '--name',
      'mcpp-fz-running',
      '--network',
      'mcpp-fz-net',
      '-v',
      'mcpp-fz-vol:/data',
      BUSYBOX,
      'sleep',
      '100000',
    ]);
    await podmanCli(['run', '--name', 'mcpp-fz-stopped', BUSYBOX, 'true']);
    await podmanCli(['tag', BUSYBOX, 'localhost/mcpp-fz/tagged:v1']);

    peer = new RawPeer(['--socket-path', podman.socketPath, '--log-level', 'error']);
    const init = await peer.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'mcpp-raw-peer', version: '1.0.0' },
    });
    assert.equal(init.result?.serverInfo?.name, 'mcp-podman');
    peer.write('{"jsonrpc":"2.0","method":"notifications/initialized"}');
  });

  after(async () => {
    await peer?.close();
    await removeFixtures();
    const leftovers = await podman.sweep();
    await podman.stop();
    assert.equal(leftovers, 0, 'tests must remove every container and pod they create');
  });

  async function stillServing(): Promise<void> {
    const pong = await peer.request('ping');
    assert.deepEqual(pong.result, {}, JSON.stringify(pong));
  }

  it('answers malformed frames with protocol-correct JSON-RPC errors and keeps serving', async () => {
    // [frame, the id the error must carry (null when the frame has no usable one), JSON-RPC code]
    const invalid: [string, string | number | null, number][] = [
      ['{"jsonrpc":"2.0","id":', null, -32700],
      ['not json at all', null, -32700],
      ['[]', null, -32600],
      ['42', null, -32600],
      ['"a string"', null, -32600],
      ['null', null, -32600],
      ['{"jsonrpc":"1.0"}', null, -32600],
      ['{"jsonrpc":"1.0","id":5,"method":"ping"}', 5, -32600],
      ['{"jsonrpc":"2.0","id":{"nested":1},"method":"ping"}', null, -32600],
      ['{"jsonrpc":"2.0","id":"no-method"}', 'no-method', -32600],
      ['{"jsonrpc":"2.0","id":6,"method":"ping","params":[1]}', 6, -32600],
    ];
    for (const [frame, id, code] of invalid) {
      peer.write(frame);
      const reply = await peer.take((m) => m.id === id);
      assert.equal(reply.error?.code, code, `${frame} -> ${JSON.stringify(reply)}`);
      assert.equal(typeof reply.error?.message, 'string');
      await stillServing();
    }

    const byRequest: [string, string, number][] = [
      ['no/such/method', '{}', -32601],
      ['tools/call', '{"name":"podman_no_such_tool","arguments":{}}', -32602],
      ['tools/call', '{"name":42,"arguments":{}}', -32602],
      ['tools/call', '{"name":"podman_ps","arguments":"all"}', -32602],
      ['tools/call', '{"name":"podman_ps","arguments":[1,2]}', -32602],
      ['tools/call', '{}', -32602],
      ['tools/list', '{"cursor":5}', -32602],
    ];
    for (const [method, params, code] of byRequest) {
      const reply = await peer.requestRaw(method, params);
      assert.equal(reply.error?.code, code, `${method} ${params} -> ${JSON.stringify(reply)}`);
      assert.ok(!STACK_TRACE.test(JSON.stringify(reply)), `a stack trace in ${JSON.stringify(reply)}`);
      await stillServing();
    }

    // Wrong argument types are the tool's business: a result with isError the model can act on.
    const wrongTypes = await peer.request('tools/call', {
      name: 'podman_ps',
      arguments: { limit: 'ten', all: 'yes' },
    });
    assert.equal(wrongTypes.result?.isError, true);
    assert.equal(wrongTypes.result?.structuredContent?.error?.code, 'INVALID_PARAMS');
    assert.match(
      wrongTypes.result?.content?.[0]?.text,
      /^INVALID_PARAMS: .*limit.*all|^INVALID_PARAMS: .*all.*limit/,
    );

    // Notifications get no answer, even unknown or malformed ones, and a stray response is ignored.
    peer.write('{"jsonrpc":"2.0","method":"notifications/no-such-thing","params":{"x":1}}');
    peer.write('{"jsonrpc":"2.0","id":424242,"result":{}}');
    peer.write('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"never-sent"}}');
    await stillServing();
    assert.deepEqual(peer.violations, [], 'stdout carried something that is not JSON-RPC');
  });

  it('survives hostile arguments to every listed tool without touching anything it was not given', {
    timeout: 600_000,
  }, async () => {
    const listing = await peer.request('tools/list');
    const tools = listing.result.tools as ToolListing[];
    assert.ok(tools.length >= 10);
    const cases = fuzzCases(tools);
    assert.ok(
      cases.length >= 200 && cases.length <= CALL_BUDGET + tools.length + 50,
      `${cases.length} cases`,
    );
    const fixturesBefore = await fixtureState(podman);
    const inventoryBefore = await inventory(podman);

    const problems: string[] = [];
    const outcomes = { ok: 0, error: 0 };
    const codes = new Map<string, number>();
    const started = Date.now();
    for (const { tool, args } of cases) {
      const label = `${tool} ${toFrameJson(args).slice(0, 160)}`;
      let reply: Message;
      try {
        reply = await peer.requestRaw(
          'tools/call',
          `{"name":"${tool}","arguments":${toFrameJson(args)}}`,
          60_000,
        );
      } catch (err) {
        problems.push(`${label}: ${(err as Error).message}`);
        if (peer.child.exitCode !== null) break;
        continue;
      }
      const text = JSON.stringify(reply);
      if (STACK_TRACE.test(text)) problems.push(`${label}: a stack trace in ${text.slice(0, 400)}`);
      if (!reply.result) {
        problems.push(`${label}: a JSON-RPC error instead of a tool result: ${text.slice(0, 300)}`);
        continue;
      }
      if (!reply.result.isError) {
        outcomes.ok++;
        continue;
      }
      outcomes.error++;
      const error = reply.result.structuredContent?.error;
      const code = String(error?.code);
      codes.set(code, (codes.get(code) ?? 0) + 1);
      if (!(ERROR_CODES as readonly string[]).includes(code)) problems.push(`${label}: unknown code ${code}`);
      if (code === 'INTERNAL_ERROR') problems.push(`${label}: an unexpected failure: ${error?.message}`);
      if (!String(reply.result.content?.[0]?.text).startsWith(`${code}: `) || !error?.message)
        problems.push(`${label}: an error without a coded text: ${text.slice(0, 300)}`);
    }
    const seconds = (Date.now() - started) / 1000;
    const created = await removeNew(podman, inventoryBefore);
    const summary = `${cases.length} calls over ${tools.length} tools in ${seconds.toFixed(1)} s: ${outcomes.ok} ok, ${outcomes.error} errors ${JSON.stringify(Object.fromEntries(codes))}; removed what the fuzz created: ${created.join(', ') || 'nothing'}`;
    process.stderr.write(`# fuzz: ${summary}\n`);

    assert.deepEqual(problems, [], summary);
    assert.deepEqual(
      await fixtureState(podman),
      fixturesBefore,
      'a fixture was changed by a call that did not name it',
    );
    const after = await peer.request('tools/list');
    assert.deepEqual(
      (after.result.tools as ToolListing[]).map((t) => t.name),
      tools.map((t) => t.name),
    );
    assert.deepEqual(peer.violations, []);
  });
});
