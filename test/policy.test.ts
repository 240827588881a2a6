import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { refusedStart } from './helpers/cli-exit.js';
import { BUSYBOX, ensureBusybox } from './helpers/images.js';
import { CLI, call, connectStdio, errorOf, type StdioServer, textOf } from './helpers/mcp.js';
import { podmanCli, startPodman, type TestPodman } from './helpers/podman.js';

interface ToolInfo {
  name: string;
  toolset: string;
  annotations: { readOnlyHint: boolean; destructiveHint: boolean };
}

/** The built-in Podman tools with their toolsets, from the built CLI (tools/list shows no toolsets). */
async function builtinTools(): Promise<ToolInfo[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'tools', '--json']);
  return JSON.parse(stdout) as ToolInfo[];
}

describe('safety modes, tool selection, config files and redaction', () => {
  let podman: TestPodman;
  /** Everything a default server lists: built-in tools and any the gateway adds. */
  let tools: ToolInfo[];
  let builtin: ToolInfo[];
  const servers: StdioServer[] = [];

  async function serve(args: string[]): Promise<StdioServer> {
    const server = await connectStdio(['--socket-path', podman.socketPath, '--log-level', 'warn', ...args]);
    servers.push(server);
    return server;
  }

  async function listed(server: StdioServer): Promise<string[]> {
    return (await server.client.listTools()).tools.map((t) => t.name).sort();
  }

  const names = (list: ToolInfo[]) => list.map((t) => t.name).sort();

  before(async () => {
    podman = await startPodman();
    builtin = await builtinTools();
    const everything = await serve([]);
    tools = (await everything.client.listTools()).tools.map((t) => ({
      name: t.name,
      toolset: builtin.find((b) => b.name === t.name)?.toolset ?? '',
      annotations: {
        readOnlyHint: t.annotations!.readOnlyHint!,
        destructiveHint: t.annotations!.destructiveHint!,
      },
    }));
    await ensureBusybox();
  });

  after(async () => {
    for (const s of servers) await s.close();
    const leftovers = await podman.sweep();
    await podman.stop();
    assert.equal(leftovers, 0, 'tests must remove every container they create');
  });

  it('serves every built-in tool by default', async () => {
    const listedNames = names(tools);
    for (const t of builtin) assert.ok(listedNames.includes(t.name), `${t.name} is not listed`);
  });

  it('--read-only lists only read-only tools and refuses the others with TOOL_DISABLED', async () => {
    const server = await serve(['--read-only']);
    const readOnly = tools.filter((t) => t.annotations.readOnlyHint);
    const hidden = tools.filter((t) => !t.annotations.readOnlyHint);
    assert.ok(readOnly.length > 0 && hidden.length > 0);
    assert.deepEqual(await listed(server), names(readOnly));
    for (const t of (await server.client.listTools()).tools) assert.equal(t.annotations?.readOnlyHint, true);
    for (const tool of hidden) {
      const result = await call(server.client, tool.name, {});
      const error = errorOf(result);
      assert.equal(error.code, 'TOOL_DISABLED', tool.name);
      assert.match(error.message, /--read-only mode/);
      assert.match(textOf(result), /^TOOL_DISABLED: /);
    }
    assert.equal((await call(server.client, 'podman_info')).isError, undefined);
  });

  it('--disable-destructive hides destructive tools and keeps the rest', async () => {
    const server = await serve(['--disable-destructive']);
    const destructive = tools.filter((t) => t.annotations.destructiveHint);
    assert.ok(destructive.some((t) => t.name === 'podman_rm'));
    assert.deepEqual(await listed(server), names(tools.filter((t) => !t.annotations.destructiveHint)));
    const error = errorOf(await call(server.client, 'podman_rm', { containers: ['mcpp-policy-absent'] }));
    assert.equal(error.code, 'TOOL_DISABLED');
    assert.match(error.message, /--disable-destructive/);
  });

  it('--toolsets, --tools and --disable-tools select tools by toolset and name', async () => {
    const images = await serve(['--toolsets', 'images']);
    assert.deepEqual(await listed(images), names(builtin.filter((t) => t.toolset === 'images')));
    const outside = errorOf(await call(images.client, 'podman_ps', {}));
    assert.equal(outside.code, 'TOOL_DISABLED');
    assert.match(outside.message, /"containers" toolset/);

    const two = await serve(['--tools', 'podman_ps,podman_info']);
    assert.deepEqual(await listed(two), ['podman_info', 'podman_ps']);
    assert.match(errorOf(await call(two.client, 'podman_images', {})).message, /--tools allow-list/);

    const denied = await serve(['--disable-tools', 'podman_rm', '--disable-tools', 'podman_exec']);
    assert.deepEqual(
      await listed(denied),
      names(tools).filter((n) => n !== 'podman_rm' && n !== 'podman_exec'),
    );
    const error = errorOf(await call(denied.client, 'podman_exec', { container: 'x', command: ['true'] }));
    assert.equal(error.code, 'TOOL_DISABLED');
    assert.match(error.message, /--disable-tools/);
  });

  it('refuses to start with an unknown toolset and names it', async () => {
    const { code, stderr } = await refusedStart(['--toolsets', 'images,contaners']);
    assert.equal(code, 2);
    assert.match(stderr, /Unknown toolset\(s\): contaners\. Known toolsets: containers, images/);
  });

  it('applies a config file, and names a bad field in it at startup (exit 2)', async () => {
    const good = join(podman.dir, 'good.yaml');
    await writeFile(good, 'readOnly: true\ntoolsets: [containers, system]\ndisableTools:\n  - podman_top\n');
    const server = await serve(['--config', good]);
    assert.deepEqual(
      await listed(server),
      names(
        builtin.filter(
          (t) =>
            t.annotations.readOnlyHint &&
            ['containers', 'system'].includes(t.toolset) &&
            t.name !== 'podman_top',
        ),
      ),
    );

    const badValue = join(podman.dir, 'bad-value.yaml');
    await writeFile(badValue, 'readOnly: yes please\nlimits:\n  outputBytes: 12\n');
    const first = await refusedStart(['--config', badValue]);
    assert.equal(first.code, 2);
    assert.match(first.stderr, /bad-value\.yaml/);
    assert.match(first.stderr, /readOnly: /);
    assert.match(first.stderr, /limits\.outputBytes: /);

    const unknownKey = join(podman.dir, 'unknown-key.json');
    await writeFile(unknownKey, JSON.stringify({ podman: { sockt: '/x' } }));
    const second = await refusedStart(['--config', unknownKey]);
    assert.equal(second.code, 2);
    assert.match(second.stderr, /podman: .*"sockt"/);

    const broken = join(podman.dir, 'broken.yaml');
    await writeFile(broken, 'readOnly: [true\n');
    const third = await refusedStart(['--config', broken]);
    assert.equal(third.code, 2);
    assert.match(third.stderr, /broken\.yaml is not valid YAML/);
  });

  it('masks secret-looking env values in podman_inspect and lists them, unless --no-redact', async () => {
    const name = 'mcpp-policy-redact';
    await podmanCli([
      'create',
      '--name',
      name,
      '-e',
      'API_TOKEN=tok-4f1e9a77',
      '-e',
      'DB_PASSWORD=pw-93b2c1d0',
      '-e',
      'PLAIN_SETTING=visible-value',
      BUSYBOX,
      'true',
    ]);
    try {
      const redacting = await serve([]);
      const masked = await call(redacting.client, 'podman_inspect', { container: name });
      assert.equal(masked.isError, undefined, textOf(masked));
      const env = masked.structuredContent!.container.Config.Env as string[];
      assert.ok(env.includes('API_TOKEN=********'));
      assert.ok(env.includes('DB_PASSWORD=********'));
      assert.ok(env.includes('PLAIN_SETTING=visible-value'));
      assert.deepEqual([...masked.structuredContent!.redacted].sort(), [
        'Config.Env.API_TOKEN',
        'Config.Env.DB_PASSWORD',
      ]);
      const everything = JSON.stringify(masked);
      assert.ok(
        !everything.includes('tok-4f1e9a77') && !everything.includes('pw-93b2c1d0'),
        'a secret leaked',
      );

      const open = await serve(['--no-redact']);
      const shown = await call(open.client, 'podman_inspect', { container: name });
      const openEnv = shown.structuredContent!.container.Config.Env as string[];
      assert.ok(openEnv.includes('API_TOKEN=tok-4f1e9a77'));
      assert.ok(openEnv.includes('DB_PASSWORD=pw-93b2c1d0'));
      assert.deepEqual(shown.structuredContent!.redacted, []);
    } finally {
      await podmanCli(['rm', '-f', name]);
    }
  });
});
