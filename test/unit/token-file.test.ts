import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  readTokenFile,
  removeTokenFile,
  tokenDirectory,
  tokenFilePath,
  writeTokenFile,
} from '../../src/transport/token-file.js';

const NOBODY = 65534;
const TOKEN = 'generated-token-0123456789abcdef';

describe('the generated token file', () => {
  let root: string;
  let n = 0;
  /** A fresh XDG_RUNTIME_DIR per test: the files are real, on this machine's filesystem. */
  const runtime = async () => {
    const dir = join(root, `run-${n++}`);
    await mkdir(dir, { mode: 0o700 });
    return { XDG_RUNTIME_DIR: dir };
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'mcp-podman-token-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('lives in $XDG_RUNTIME_DIR/mcp-podman, else ~/.local/state/mcp-podman, named by port', () => {
    assert.equal(
      tokenFilePath(8913, { XDG_RUNTIME_DIR: '/run/user/1000' }),
      '/run/user/1000/mcp-podman/8913.token',
    );
    assert.equal(tokenDirectory({ HOME: '/home/ann' }), '/home/ann/.local/state/mcp-podman');
    assert.equal(tokenDirectory({ HOME: '/home/ann', XDG_STATE_HOME: '/s' }), '/s/mcp-podman');
  });

  it('is written 0600 in a 0700 folder, read back, and removed', async () => {
    const env = await runtime();
    const path = await writeTokenFile(8913, TOKEN, env);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(tokenDirectory(env))).mode & 0o777, 0o700);
    assert.equal(await readTokenFile(8913, env), TOKEN);
    assert.equal(await readTokenFile(8914, env), undefined, 'another port has no token');
    await writeTokenFile(8913, `${TOKEN}-second`, env);
    assert.equal(await readTokenFile(8913, env), `${TOKEN}-second`, 'a restart replaces the file whole');
    await removeTokenFile(path, TOKEN);
    assert.equal(await readTokenFile(8913, env), `${TOKEN}-second`, 'only the token it wrote is removed');
    await removeTokenFile(path, `${TOKEN}-second`);
    assert.equal(await readTokenFile(8913, env), undefined);
  });

  it('closes up a folder of ours that was opened to others', async () => {
    const env = await runtime();
    await mkdir(tokenDirectory(env), { mode: 0o755 });
    await chmod(tokenDirectory(env), 0o755);
    await writeTokenFile(1, TOKEN, env);
    assert.equal((await stat(tokenDirectory(env))).mode & 0o777, 0o700);
  });

  it('refuses a planted symlink and leaves its target alone', async () => {
    const env = await runtime();
    await mkdir(tokenDirectory(env), { mode: 0o700 });
    const target = join(root, `victim-${n}`);
    await writeFile(target, 'precious\n');
    await symlink(target, tokenFilePath(2, env));
    await assert.rejects(writeTokenFile(2, TOKEN, env), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'FORBIDDEN');
      assert.match(err.message, /symbolic link.*--auth-token/);
      return true;
    });
    assert.equal(await readFile(target, 'utf8'), 'precious\n');
    assert.equal(await readTokenFile(2, env), undefined, 'a link is never read through either');
  });

  it('refuses a token file or a folder another user owns, and never reads such a file', async () => {
    const env = await runtime();
    await mkdir(tokenDirectory(env), { mode: 0o700 });
    await writeFile(tokenFilePath(3, env), 'planted-by-nobody\n', { mode: 0o600 });
    await chown(tokenFilePath(3, env), NOBODY, NOBODY);
    await assert.rejects(writeTokenFile(3, TOKEN, env), /another user owns it/);
    assert.equal(await readTokenFile(3, env), undefined);

    const theirs = await runtime();
    await mkdir(tokenDirectory(theirs), { mode: 0o700 });
    await chown(tokenDirectory(theirs), NOBODY, NOBODY);
    await assert.rejects(writeTokenFile(4, TOKEN, theirs), /another user owns it/);

    const linked = await runtime();
    await symlink(root, tokenDirectory(linked));
    await assert.rejects(writeTokenFile(5, TOKEN, linked), /not a folder/);
  });
});
