import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { McpPodmanError } from '../errors.js';

/**
 * A generated token is published in a file only its owner can read, as Jupyter does: local clients
 * (the CLI, a user's MCP client config) read it there, other local users cannot. One file per port,
 * so two instances never share one.
 */
export function tokenDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'mcp-podman');
  const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'mcp-podman');
}

export function tokenFilePath(port: number, env: NodeJS.ProcessEnv = process.env): string {
  return join(tokenDirectory(env), `${port}.token`);
}

const myUid = (): number | undefined => process.getuid?.();

function refuse(path: string, why: string): McpPodmanError {
  return new McpPodmanError(
    'FORBIDDEN',
    `Refusing to use ${path} for the auth token: ${why}. Remove it, or set --auth-token (or MCP_PODMAN_AUTH_TOKEN).`,
  );
}

/** The folder, created 0700 if missing; an existing one must be a real folder this user owns. */
async function ownFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stat = await lstat(dir);
  if (stat.isSymbolicLink() || !stat.isDirectory()) throw refuse(dir, 'it is not a folder');
  if (stat.uid !== myUid()) throw refuse(dir, 'another user owns it');
  // Ours but opened up (an old umask, a chmod): close it again rather than publish into it.
  if ((stat.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

/** An existing file at `path` may be replaced only if it is a regular file this user owns. */
async function checkExisting(path: string): Promise<void> {
  const stat = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!stat) return;
  if (stat.isSymbolicLink()) throw refuse(path, 'it is a symbolic link');
  if (!stat.isFile()) throw refuse(path, 'it is not a regular file');
  if (stat.uid !== myUid()) throw refuse(path, 'another user owns it');
}

/**
 * Writes the token atomically: a fresh 0600 file opened with O_EXCL|O_NOFOLLOW (so no planted link is
 * followed), renamed over the old one, so a reader never sees half a token.
 */
export async function writeTokenFile(
  port: number,
  token: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const path = tokenFilePath(port, env);
  await ownFolder(tokenDirectory(env));
  await checkExisting(path);
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const file = await open(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await file.writeFile(`${token}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  return path;
}

/**
 * The token in `path`, read without following a link (O_NOFOLLOW) and only from a regular file this
 * user owns: a file someone else planted there is never believed.
 */
async function readOwnToken(path: string): Promise<string | undefined> {
  const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
  if (!file) return undefined;
  try {
    const stat = await file.stat();
    if (!stat.isFile() || stat.uid !== myUid()) return undefined;
    return (await file.readFile('utf8')).trim() || undefined;
  } finally {
    await file.close();
  }
}

/** Removes the file if it still holds this token (a later instance on the port may have replaced it). */
export async function removeTokenFile(path: string, token: string): Promise<void> {
  try {
    if ((await readOwnToken(path)) === token) await unlink(path);
  } catch {
    // a failed cleanup must not fail the shutdown; the next start on this port replaces the file
  }
}

/** The token a local instance on `port` generated, if its file exists and this user owns it. */
export async function readTokenFile(
  port: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  return readOwnToken(tokenFilePath(port, env)).catch(() => undefined);
}
