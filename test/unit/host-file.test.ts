import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadProject } from '../../src/tools/compose/load.js';
import { readHostFile } from '../../src/tools/host-file.js';

const SECRET = 'host-secret-value-5c1e';
const INSTEAD = { instead: 'give the text' };

/** The error a promise rejects with, for asserting on its code and its whole text. */
async function failure(promise: Promise<unknown>): Promise<Error & { code?: string; details?: unknown }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  assert.fail('expected a refusal');
}

/** What a refusal says about `path`, with the path itself taken out: it must not vary with what is there. */
async function refusalFor(path: string, roots: string[]): Promise<string> {
  const err = await failure(readHostFile(path, roots, 'This test', INSTEAD));
  assert.equal(err.code, 'FORBIDDEN', err.message);
  const text = JSON.stringify({ message: err.message, details: err.details });
  assert.ok(!text.includes(SECRET), text);
  return text.replaceAll(path, '<path>');
}

describe('readHostFile: host files are read for a client only under the bind roots', () => {
  let root: string;
  let outside: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'mcpp-hostfile-root-'));
    outside = await mkdtemp(join(tmpdir(), 'mcpp-hostfile-outside-'));
    await writeFile(join(outside, 'secret.env'), `LEAK=${SECRET}\n`);
    await writeFile(join(root, 'plain.yaml'), 'a: 1\n');
    await symlink(join(outside, 'secret.env'), join(root, 'to-secret'));
    await symlink(join(outside, 'absent'), join(root, 'to-absent'));
    await symlink(outside, join(root, 'outdir'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('reads a file under a root by its real path', async () => {
    await symlink('plain.yaml', join(root, 'alias.yaml'));
    assert.deepEqual(await readHostFile(join(root, 'alias.yaml'), [root], 'This test', INSTEAD), {
      path: join(root, 'plain.yaml'),
      text: 'a: 1\n',
      bytes: Buffer.from('a: 1\n'),
    });
  });

  it('gives one answer for every path it may not read, whatever exists there, and never its content', async () => {
    const answers = new Set([
      await refusalFor(join(outside, 'secret.env'), [root]),
      await refusalFor(join(outside, 'absent'), [root]),
      await refusalFor(join(root, 'to-secret'), [root]),
      await refusalFor(join(root, 'to-absent'), [root]),
      await refusalFor(join(root, 'outdir/secret.env'), [root]),
      await refusalFor(join(root, 'outdir/absent'), [root]),
    ]);
    assert.equal(answers.size, 1, [...answers].join('\n'));
    const none = await failure(readHostFile(join(outside, 'secret.env'), [], 'This test', INSTEAD));
    assert.equal(none.code, 'FORBIDDEN');
    assert.match(none.message, /shares no host folders/);
  });

  it('tells a missing file under a root apart, and refuses a FIFO and a file over the cap without hanging', async () => {
    const missing = await failure(readHostFile(join(root, 'nope.yaml'), [root], 'This test', INSTEAD));
    assert.equal(missing.code, 'NOT_FOUND');
    assert.equal(
      await readHostFile(join(root, 'nope.yaml'), [root], 'This test', { ...INSTEAD, optional: true }),
      undefined,
    );
    execFileSync('mkfifo', [join(root, 'fifo')]);
    const fifo = await failure(readHostFile(join(root, 'fifo'), [root], 'This test', INSTEAD));
    assert.equal(fifo.code, 'INVALID_PARAMS');
    await writeFile(join(root, 'big'), 'x'.repeat(65));
    const big = await failure(
      readHostFile(join(root, 'big'), [root], 'This test', { ...INSTEAD, maxBytes: 64 }),
    );
    assert.equal(big.code, 'INVALID_PARAMS');
    assert.match(big.message, /larger than 64 bytes/);
  });
});

describe('compose reads its file, .env and env_files only under the bind roots', () => {
  let root: string;
  let outside: string;
  const load = (file: string, composeEnv: string[] = []) =>
    loadProject({ file, bindRoots: [root], composeEnv, projectName: 'unit' });
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'mcpp-compose-root-'));
    outside = await mkdtemp(join(tmpdir(), 'mcpp-compose-outside-'));
    await writeFile(join(outside, 'secret.env'), `LEAK=${SECRET}\n`);
    await writeFile(
      join(outside, 'compose.yml'),
      `services:\n  ${SECRET}:\n    image: busybox\n    environment: [LEAK]\n`,
    );
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('refuses a .env that is a symlink to a host file outside the roots, leaking none of it', async () => {
    const project = join(root, 'dotenv');
    await mkdir(project);
    await writeFile(
      join(project, 'compose.yml'),
      'services:\n  app:\n    image: busybox\n    environment: [LEAK]\n',
    );
    await symlink(join(outside, 'secret.env'), join(project, '.env'));
    const err = await failure(load(join(project, 'compose.yml')));
    assert.equal(err.code, 'FORBIDDEN');
    assert.match(err.message, /\.env/);
    assert.ok(!JSON.stringify({ m: err.message, d: err.details }).includes(SECRET));
  });

  it('refuses a compose file and an env_file outside the roots, directly or through a symlink', async () => {
    await symlink(join(outside, 'compose.yml'), join(root, 'linked.yml'));
    for (const file of [join(outside, 'compose.yml'), join(root, 'linked.yml')]) {
      const err = await failure(load(file));
      assert.equal(err.code, 'FORBIDDEN', err.message);
      assert.ok(!err.message.includes(SECRET), err.message);
    }
    const project = join(root, 'envfile');
    await mkdir(project);
    await symlink(join(outside, 'secret.env'), join(project, 'app.env'));
    await writeFile(
      join(project, 'compose.yml'),
      'services:\n  app:\n    image: busybox\n    env_file: app.env\n',
    );
    const err = await failure(load(join(project, 'compose.yml')));
    assert.equal(err.code, 'FORBIDDEN');
    assert.ok(!err.message.includes(SECRET), err.message);
  });

  it('interpolates only the server environment names the operator allows', async () => {
    const project = join(root, 'env');
    await mkdir(project);
    await writeFile(
      join(project, 'compose.yml'),
      `services:\n  app:\n    image: busybox\n    environment:\n      KEY: "\${OPENAI_API_KEY}"\n      HOME_SEEN: "\${HOME:-none}"\n`,
    );
    process.env.OPENAI_API_KEY = `sk-${SECRET}`;
    try {
      const closed = await load(join(project, 'compose.yml'));
      assert.deepEqual({ ...closed.services.app!.environment }, { KEY: '', HOME_SEEN: 'none' });
      assert.deepEqual(closed.warnings, ['variable OPENAI_API_KEY is not set; it was replaced by ""']);
      const allowed = await load(join(project, 'compose.yml'), ['OPENAI_API_KEY']);
      assert.equal(allowed.services.app!.environment.KEY, `sk-${SECRET}`);
      assert.equal(allowed.services.app!.environment.HOME_SEEN, 'none');
    } finally {
      delete process.env.OPENAI_API_KEY;
    }
  });
});
