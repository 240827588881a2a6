import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, mergeConfig, parseConfig, readConfigFile } from '../../src/config/load.js';
import { isMcpPodmanError, type McpPodmanError } from '../../src/errors.js';

function failure(fn: () => unknown): McpPodmanError {
  try {
    fn();
  } catch (err) {
    assert.ok(isMcpPodmanError(err), String(err));
    return err;
  }
  throw new Error('expected a failure');
}

async function asyncFailure(fn: () => Promise<unknown>): Promise<McpPodmanError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(isMcpPodmanError(err), String(err));
    return err;
  }
  throw new Error('expected a failure');
}

describe('parseConfig', () => {
  it('fills the defaults', () => {
    const config = parseConfig({});
    assert.equal(config.transport, 'stdio');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8913);
    assert.equal(config.redact, true);
    assert.equal(config.readOnly, false);
    assert.equal(config.podman.embedded, true);
    assert.deepEqual(config.disableTools, []);
    assert.equal(config.toolsets, undefined);
  });

  it('lets compose files read no server environment variable unless the operator names it', async () => {
    assert.deepEqual(parseConfig({}).composeEnv, []);
    const config = await loadConfig({ env: { MCP_PODMAN_COMPOSE_ENV: 'APP_TAG, REGION' }, flags: {} });
    assert.deepEqual(config.composeEnv, ['APP_TAG', 'REGION']);
    const own = failure(() => parseConfig({ composeEnv: ['MCP_PODMAN_AUTH_TOKEN'] }));
    assert.equal(own.code, 'INVALID_PARAMS');
    assert.match(own.message, /composeEnv/);
  });

  it('waits 120 s on a silent registry unless the file, MCP_PODMAN_REGISTRY_STALL_MS or a flag says otherwise', async () => {
    const defaults = parseConfig({});
    assert.equal(defaults.limits.registryStallMs, 120_000);
    assert.equal(defaults.limits.outputBytes, 64 * 1024, 'the other limits keep their defaults');
    const fromEnv = await loadConfig({ env: { MCP_PODMAN_REGISTRY_STALL_MS: '5000' }, flags: {} });
    assert.equal(fromEnv.limits.registryStallMs, 5000);
    const fromFlag = await loadConfig({
      env: { MCP_PODMAN_REGISTRY_STALL_MS: '5000' },
      flags: { limits: { registryStallMs: 2000 } },
    });
    assert.equal(fromFlag.limits.registryStallMs, 2000);
    const bad = await loadConfig({ env: { MCP_PODMAN_REGISTRY_STALL_MS: 'soon' }, flags: {} }).catch(
      (e) => e,
    );
    assert.equal(bad.code, 'INVALID_PARAMS');
    assert.match(bad.message, /limits\.registryStallMs/);
  });

  it('names every bad field with its path, under INVALID_PARAMS', () => {
    const err = failure(() =>
      parseConfig({
        port: 70_000,
        transport: 'carrier-pigeon',
        authToken: 'short',
        readonly: true,
        podman: { socketPath: '', sockt: '/x' },
        limits: { outputBytes: 10, registryStallMs: 10 },
        toolsets: 'images',
      }),
    );
    assert.equal(err.code, 'INVALID_PARAMS');
    for (const fragment of [
      'port: ',
      'transport: ',
      'authToken: must be at least 16 characters',
      '"readonly"',
      'podman.socketPath: ',
      'podman: ',
      '"sockt"',
      'limits.outputBytes: ',
      'limits.registryStallMs: ',
      'toolsets: ',
    ]) {
      assert.ok(err.message.includes(fragment), `${fragment} missing in: ${err.message}`);
    }
    assert.ok(err.details.issues, 'the structured issues ride along');
    assert.match(
      failure(() => parseConfig({ port: 'x' }, 'file a.yaml')).message,
      /^Invalid file a\.yaml: port: /,
    );
  });
});

describe('mergeConfig and loadConfig', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpp-config-unit-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes --unsafe-no-auth from the file, the environment or a flag, and refuses it beside a token or ENABLE_AUTH', async () => {
    assert.equal(parseConfig({}).unsafeNoAuth, false, 'auth is on by default');
    assert.equal(parseConfig({ unsafeNoAuth: true }).unsafeNoAuth, true);
    const fromEnv = await loadConfig({ flags: {}, env: { MCP_PODMAN_UNSAFE_NO_AUTH: 'true' } });
    assert.equal(fromEnv.unsafeNoAuth, true);
    const withToken = failure(() => parseConfig({ unsafeNoAuth: true, authToken: 'x'.repeat(16) }));
    assert.equal(withToken.code, 'INVALID_PARAMS');
    assert.match(withToken.message, /contradict/);
    const withEnableAuth = await asyncFailure(() =>
      loadConfig({ flags: { unsafeNoAuth: true }, env: { ENABLE_AUTH: 'true' } }),
    );
    assert.match(withEnableAuth.message, /ENABLE_AUTH is on, and it forbids --unsafe-no-auth/);
  });

  it('lets later sources win, deeply, without undefined erasing anything, and replaces arrays whole', () => {
    assert.deepEqual(
      mergeConfig(
        { port: 1, podman: { socketPath: '/a', embedded: false }, tools: ['a', 'b'] },
        { port: 2, podman: { socketPath: undefined, url: 'tcp://x:1' } },
        { port: undefined, tools: ['c'] },
      ),
      { port: 2, podman: { socketPath: '/a', embedded: false, url: 'tcp://x:1' }, tools: ['c'] },
    );
  });

  it('reads YAML and JSON files and applies file < environment < flags', async () => {
    const file = join(dir, 'c.yaml');
    await writeFile(
      file,
      'port: 9000\nlogLevel: debug\nreadOnly: true\nauthToken: from-the-file-0123456789\n',
    );
    const config = await loadConfig({
      file,
      env: { MCP_PODMAN_AUTH_TOKEN: 'from-the-environment-0123', MCP_PODMAN_LOG_LEVEL: 'warn' },
      flags: { logLevel: 'error', readOnly: undefined },
    });
    assert.equal(config.port, 9000);
    assert.equal(config.readOnly, true);
    assert.equal(config.authToken, 'from-the-environment-0123');
    assert.equal(config.logLevel, 'error');
    const json = join(dir, 'c.json');
    await writeFile(json, '{"disableDestructive": true}');
    assert.equal((await loadConfig({ file: json, env: {}, flags: {} })).disableDestructive, true);
    const empty = join(dir, 'empty.yaml');
    await writeFile(empty, '# nothing\n');
    assert.equal((await loadConfig({ file: empty, env: {}, flags: {} })).port, 8913);
  });

  it('says which file is missing, malformed, not an object or has a bad field', async () => {
    assert.match(
      (await asyncFailure(() => readConfigFile(join(dir, 'absent.yaml')))).message,
      /Cannot read config file .*absent\.yaml/,
    );
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'port: [1\n');
    assert.match(
      (await asyncFailure(() => readConfigFile(broken))).message,
      /broken\.yaml is not valid YAML/,
    );
    const brokenJson = join(dir, 'broken.json');
    await writeFile(brokenJson, '{"port": }');
    assert.match(
      (await asyncFailure(() => readConfigFile(brokenJson))).message,
      /broken\.json is not valid JSON/,
    );
    const list = join(dir, 'list.yaml');
    await writeFile(list, '- a\n- b\n');
    assert.match((await asyncFailure(() => readConfigFile(list))).message, /must hold an object at its top/);
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'port: -1\n');
    const err = await asyncFailure(() => loadConfig({ file: bad, env: {}, flags: {} }));
    assert.match(err.message, /\(file .*bad\.yaml, environment and flags\): port: /);
  });
});
