import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { parse as parseYaml } from 'yaml';
import { README, toolSection, withToolTable } from '../scripts/gen-tool-table.js';
import { parseConfig } from '../src/config/load.js';
import { ERROR_CODES } from '../src/errors.js';
import { CLI } from './helpers/mcp.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('..', import.meta.url));

/** The built CLI's own output, so the README is checked against what users run. */
async function cli(...args: string[]): Promise<string> {
  return (await run(process.execPath, [CLI, ...args], { maxBuffer: 16 << 20 })).stdout;
}

describe('README', () => {
  it('carries the tool table exactly as `mcp-podman tools` prints it', async () => {
    const readme = await readFile(README, 'utf8');
    const table = await cli('tools');
    assert.ok(table.includes('| `podman_ps` |'), 'the CLI printed no tool table');
    assert.equal(
      toolSection(readme),
      toolSection(withToolTable(readme, table)),
      'README.md tool table is out of date: run `npm run docs:tools`',
    );
  });

  it('names the test command', async () => {
    const readme = await readFile(README, 'utf8');
    assert.match(
      readme,
      /```(?:sh|bash|shell)?\n(?:[^`]*\n)?npm test\n/,
      'README.md must show `npm test` in a code block',
    );
  });

  it('leads with the two commands, and the first one serves MCP over stdio with its setup off stdout', async () => {
    const readme = await readFile(README, 'utf8');
    const lead = /## Two commands[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    assert.deepEqual(
      lead
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('#')[0]!.trim()),
      ['bash scripts/serve.sh', 'bash scripts/test.sh'],
    );
    assert.match(
      await readFile(join(REPO, '.ci/run'), 'utf8'),
      /^exec bash scripts\/test\.sh$/m,
      'CI runs the second',
    );
    // Already set up here, so the script goes straight to serving; a client reads its stdout as MCP.
    const client = new Client({ name: 'readme-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: 'bash',
        args: [join(REPO, 'scripts/serve.sh'), '--no-embedded', '--log-level', 'warn'],
        stderr: 'ignore',
      }),
    );
    try {
      assert.ok((await client.listTools()).tools.some((t) => t.name === 'podman_ps'));
    } finally {
      await client.close();
    }
  });

  it('documents every flag of `mcp-podman serve`', async () => {
    const readme = await readFile(README, 'utf8');
    const help = await cli('serve', '--help');
    const flags = [...help.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]!);
    assert.ok(flags.includes('--socket-path'), `no flags found in:\n${help}`);
    const missing = flags.filter((f) => f !== '--help' && !readme.includes(`\`${f}`));
    assert.deepEqual(missing, [], 'flags missing from README.md');
  });

  it('lists every error code', async () => {
    const readme = await readFile(README, 'utf8');
    const missing = ERROR_CODES.filter((code) => !readme.includes(`\`${code}\``));
    assert.deepEqual(missing, [], 'error codes missing from README.md');
  });

  it('shows a config file the server accepts and client snippets that are valid JSON', async () => {
    const readme = await readFile(README, 'utf8');
    const blocks = (lang: string) =>
      [...readme.matchAll(new RegExp(`\`\`\`${lang}\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);
    const yaml = blocks('yaml');
    assert.equal(yaml.length, 1, 'README.md should have one YAML config example');
    assert.doesNotThrow(() => parseConfig(parseYaml(yaml[0]!)), 'the config example does not validate');
    const json = blocks('json');
    assert.ok(json.length >= 4, 'client configuration snippets are missing');
    for (const block of json) assert.doesNotThrow(() => JSON.parse(block), `not JSON:\n${block}`);
  });
});
