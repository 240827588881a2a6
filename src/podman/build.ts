import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { lstatSync } from 'node:fs';
import { lstat, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import * as dockerignoreModule from '@balena/dockerignore';
import { type PackOptions, pack } from 'tar-fs';
import { isAbortError, isMcpPodmanError, McpPodmanError } from '../errors.js';
import { MISSING, realPathUnder } from '../tools/host-file.js';
import type { PodmanClient } from './client.js';
import { MANAGED_LABELS } from './labels.js';
import { registryStream } from './registry-stream.js';
import { BoundedText } from './streams.js';

export interface BuildOptions {
  /** The build context on this machine; without it the context holds only the inline Containerfile. */
  contextDir?: string;
  /** Path of the Containerfile relative to contextDir (default: Containerfile, else Dockerfile). */
  containerfile?: string;
  /** A Containerfile given as text; it is added to the context under a generated name. */
  containerfileText?: string;
  tags: string[];
  buildArgs?: Record<string, string>;
  target?: string;
  pull?: 'always' | 'missing' | 'never' | 'newer';
  /** Image labels; io.mcp-podman.managed=true is always added. */
  labels?: Record<string, string>;
  /** host, none, private (or bridge), or the name of a Podman network. Default: Podman's (host for API builds). */
  network?: string;
  signal?: AbortSignal;
  /** Longest silence while the build pulls a base image from a registry (limits.registryStallMs). */
  stallMs: number;
  onProgress?: (step: number, message: string) => void | Promise<void>;
  /** Size of the log tail kept for the result and for errors (default 16 KiB). */
  maxLogBytes?: number;
}

export interface BuildResult {
  id: string;
  tags: string[];
  log: string;
  truncated: boolean;
}

// A CommonJS module whose types declare an ES default export; under NodeNext the function is the
// module itself, so its type is the declared default's.
const dockerignore = dockerignoreModule.default as unknown as typeof dockerignoreModule.default.default;

const IGNORE_FILES = ['.containerignore', '.dockerignore'];
/** What Podman's own client never leaves out of a context, whatever the ignore file says. */
const ALWAYS_SENT = ['Containerfile', 'Dockerfile', ...IGNORE_FILES];
/** libpod's names for pull policies (buildah's PolicyMap). */
const PULL_POLICY = { always: 'always', missing: 'missing', never: 'never', newer: 'ifnewer' } as const;
/** buildah.NetworkConfigurationPolicy: 1 = disabled, 2 = enabled. */
const NETWORK_DISABLED = 1;
const NETWORK_ENABLED = 2;
const IMAGE_ID_LINE = /^[a-f0-9]{64}$/;

/**
 * Builds an image with POST /libpod/build. The context directory is streamed as a tar (honouring
 * .containerignore/.dockerignore), the build output is read line by line into progress callbacks
 * and a bounded log tail, and aborting `signal` ends the request, which makes Podman stop the build.
 */
export async function buildImage(client: PodmanClient, options: BuildOptions): Promise<BuildResult> {
  const context = await prepareContext(options);
  const log = new BoundedText(options.maxLogBytes ?? 16 * 1024, 'tail');
  let step = 0;
  const report = async (message: string) => {
    if (options.onProgress) await options.onProgress(++step, message);
  };
  await report('Sending the build context to Podman');
  let lastId = '';
  try {
    const lines = registryStream<BuildLine>(client, 'POST', '/libpod/build', {
      query: buildQuery(options, context),
      body: context.tar,
      headers: { 'content-type': 'application/x-tar' },
      signal: options.signal,
      stall: { stallMs: options.stallMs, action: 'The build', image: '', phase: pullPhase },
    });
    for await (const line of lines) {
      const failure = line.error ?? line.errorDetail?.message;
      if (failure) throw buildFailed(failure, log);
      if (!line.stream) continue;
      log.push(line.stream);
      for (const text of line.stream.split('\n')) {
        const message = text.trim();
        if (!message) continue;
        if (IMAGE_ID_LINE.test(message)) lastId = message;
        await report(message);
      }
    }
  } catch (err) {
    context.tar.destroy();
    if (isMcpPodmanError(err) && err.code === 'TIMEOUT') {
      throw new McpPodmanError('TIMEOUT', `${err.message} Nothing was tagged.`, {
        cause: err,
        details: { ...err.details, log: log.toString() },
      });
    }
    if (options.signal?.aborted || isAbortError(err)) {
      // Podman 4 lets a running RUN step finish, then ends the build untagged and removes its
      // working container.
      throw new McpPodmanError('CANCELLED', 'The build was cancelled; nothing was tagged.', {
        cause: err,
        details: { log: log.toString() },
      });
    }
    throw err;
  }
  const id = lastId || (await idOfTag(client, options.tags[0], options.signal));
  if (!id) {
    throw new McpPodmanError('PODMAN_ERROR', 'Podman ended the build without reporting an image id.', {
      details: { log: log.toString() },
    });
  }
  return { id, tags: options.tags, log: log.toString(), truncated: log.truncated };
}

interface BuildLine {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Where a build waits on a registry: from "Trying to pull <image>..." until the pull is stored or
 * the next step starts. Only then is its silence a stall: a RUN step may be silent for long.
 */
function pullPhase(line: BuildLine): string | false | undefined {
  let phase: string | false | undefined;
  for (const text of line.stream?.split('\n') ?? []) {
    const pulling = /^Trying to pull (\S+?)(?:\.\.\.)?$/.exec(text.trim());
    if (pulling) phase = pulling[1];
    else if (/^(?:STEP \d+\/\d+: |COMMIT|Storing signatures)/.test(text.trim())) phase = false;
  }
  return phase;
}

interface PreparedContext {
  tar: Readable;
  /** The Containerfile's path inside the context, as libpod's `dockerfile` parameter wants it. */
  containerfile?: string;
  /** Set when we must pass the ignore patterns ourselves (to hide a generated Containerfile from COPY). */
  excludes?: string[];
}

async function prepareContext(options: BuildOptions): Promise<PreparedContext> {
  if (options.containerfile !== undefined && options.containerfileText !== undefined) {
    throw invalid('Give either containerfile (a path in the context) or containerfileText, not both.');
  }
  if (!options.contextDir) {
    if (options.containerfileText === undefined) {
      throw invalid('Give a context directory, an inline Containerfile (containerfileText), or both.');
    }
    if (options.containerfile !== undefined) {
      throw invalid('A containerfile path needs a context directory to be relative to.');
    }
    const name = generatedName();
    return {
      tar: packed(undefined, () => false, { name, text: options.containerfileText }),
      containerfile: name,
    };
  }
  if (!isAbsolute(options.contextDir)) {
    throw invalid(`The context directory must be an absolute path, got "${options.contextDir}".`);
  }
  const info = await stat(options.contextDir).catch(() => undefined);
  if (!info?.isDirectory())
    throw invalid(`The context directory "${options.contextDir}" does not exist or is not a directory.`);
  // Everything below is judged against the context's real path, as the files Podman reads must lie in it.
  const dir = await realpath(options.contextDir);

  const ignore = await ignoreFile(dir);
  let containerfile: string | undefined;
  if (options.containerfile !== undefined) {
    containerfile = await fileInContext(dir, insideContext(dir, options.containerfile), 'containerfile');
    if (containerfile === undefined) {
      throw invalid(`There is no file "${options.containerfile}" in the context directory "${dir}".`);
    }
  } else if (options.containerfileText === undefined) {
    containerfile = await defaultContainerfile(dir);
    if (containerfile === undefined) {
      throw invalid(
        `The context directory "${dir}" has no Containerfile or Dockerfile. Name one with containerfile, or pass containerfileText.`,
      );
    }
  }
  const keep = new Set([...ALWAYS_SENT, ...(containerfile ? [containerfile] : [])]);
  const skip = skipper(dir, ignore.patterns, keep);
  const readByPodman = new Set([...IGNORE_FILES, ...(containerfile ? [containerfile] : [])]);
  if (options.containerfileText === undefined) {
    return {
      tar: packed(dir, skip, undefined, readByPodman),
      containerfile,
      // Podman would follow a symlinked ignore file itself; given the patterns, it reads none.
      ...(ignore.symlinked && ignore.patterns.length ? { excludes: ignore.patterns } : {}),
    };
  }
  const name = generatedName();
  // Podman reads the context's ignore file itself unless `excludes` is given; giving it keeps the
  // user's rules and also keeps our generated Containerfile out of `COPY . ...`.
  return {
    tar: packed(dir, skip, { name, text: options.containerfileText }, readByPodman),
    containerfile: name,
    excludes: [...ignore.patterns, name],
  };
}

function invalid(message: string): McpPodmanError {
  return new McpPodmanError('INVALID_PARAMS', message);
}

function generatedName(): string {
  return `.mcp-podman-Containerfile-${randomBytes(6).toString('hex')}`;
}

/** Resolves a path relative to the context and refuses one that leaves it. */
function insideContext(dir: string, path: string): string {
  const rel = normalize(path);
  if (isAbsolute(path) || rel === '..' || rel.startsWith(`..${sep}`) || rel === '.') {
    throw invalid(`The containerfile "${path}" must be a file path inside the context directory.`);
  }
  return relative(dir, join(dir, rel)).split(sep).join('/');
}

/** The file Podman picks without a containerfile argument: Containerfile, else Dockerfile. */
async function defaultContainerfile(dir: string): Promise<string | undefined> {
  for (const name of ['Containerfile', 'Dockerfile']) {
    const file = await fileInContext(dir, name, 'containerfile');
    if (file !== undefined) return file;
  }
  return undefined;
}

/**
 * The path inside the context (relative, "/"-separated) that `path` really leads to, if that is a
 * regular file. Podman reads the Containerfile and ignore files on the host, often as root,
 * following symlinks, and quotes them in its errors: so one that leads out of the context (or
 * nowhere) is refused, with one answer whatever lies outside, and the file is then named to Podman
 * by this real path, a plain file of the tar.
 */
async function fileInContext(dir: string, path: string, what: string): Promise<string | undefined> {
  const real = await realPathUnder(join(dir, path), [dir]);
  if (real === undefined) {
    throw new McpPodmanError(
      'FORBIDDEN',
      `The ${what} "${path}" leads out of the context directory "${dir}" (a symlink); it is refused. ` +
        'Put the file itself in the context, or pass containerfileText.',
      { details: { path, contextDir: dir } },
    );
  }
  if (real === MISSING || !(await stat(real).catch(() => undefined))?.isFile()) return undefined;
  return relative(dir, real).split(sep).join('/');
}

/**
 * The context's ignore rules: .containerignore wins over .dockerignore, as in Podman. A symlinked
 * ignore file is read by its real path, which must lie in the context.
 */
async function ignoreFile(dir: string): Promise<{ patterns: string[]; symlinked: boolean }> {
  for (const file of IGNORE_FILES) {
    const link = await lstat(join(dir, file)).catch(() => undefined);
    if (link === undefined) continue;
    const real = await fileInContext(dir, file, 'ignore file');
    const text =
      real === undefined ? undefined : await readFile(join(dir, real), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const symlinked = link.isSymbolicLink();
    const patterns = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    return { patterns, symlinked };
  }
  return { patterns: [], symlinked: false };
}

/**
 * Decides what stays out of the tar. An excluded directory is not walked, unless it holds a file we
 * always send or an exception ("!pattern") could bring something inside it back; then its files
 * are judged one by one.
 */
function skipper(dir: string, patterns: string[], keep: Set<string>): (absolute: string) => boolean {
  if (patterns.length === 0) return () => false;
  const rules = dockerignore().add(patterns);
  const hasExceptions = patterns.some((p) => p.startsWith('!'));
  const keptDirs = new Set(
    [...keep].flatMap((k) =>
      k
        .split('/')
        .slice(0, -1)
        .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
    ),
  );
  return (absolute) => {
    const rel = relative(dir, absolute).split(sep).join('/');
    if (!rel || keep.has(rel) || keptDirs.has(rel) || !rules.ignores(rel)) return false;
    if (!hasExceptions) return true;
    return !lstatSync(absolute).isDirectory();
  };
}

/**
 * A streamed tar of the context (or of nothing), with an in-memory Containerfile appended. Symlinks
 * are packed as links, never followed (tar-fs lstats). Files are read through confinedReads, so a
 * file swapped for a symlink while the tar is packed cannot bring a host file in. `readByPodman`
 * names the files Podman opens itself on the host: one of them that became a symlink since it was
 * checked is packed under another name, so Podman finds no file to follow.
 */
function packed(
  dir: string | undefined,
  skip: (absolute: string) => boolean,
  extra?: { name: string; text: string },
  readByPodman: Set<string> = new Set(),
): Readable {
  const options: PackOptions & { umask: number } = {
    // Without a directory, nothing is walked: the tar holds only the extra file.
    ...(dir ? { fs: confinedReads(dir) } : { entries: [] }),
    ignore: skip,
    umask: 0,
    map: (header) => ({
      ...header,
      ...(header.type === 'symlink' && readByPodman.has(header.name)
        ? { name: `${generatedName()}-link` }
        : {}),
      uid: 0,
      gid: 0,
    }),
    finalize: extra === undefined,
    finish: (tar) => {
      if (!extra) return;
      tar.entry({ name: extra.name, mode: 0o644, mtime: new Date() }, extra.text, (err) => {
        if (err) tar.destroy(err);
        else tar.finalize();
      });
    },
  };
  return pack(dir ?? '.', options) as unknown as Readable;
}

/**
 * The file system tar-fs packs through, with reads confined to `dir`: a file is opened without
 * following a final symlink, and what was opened must lie in the context (by the kernel's name
 * for it), else the tar fails instead of carrying a host file.
 */
function confinedReads(dir: string): typeof fs {
  const createReadStream = (path: string, options: { start: number; end: number }) => {
    const out = new PassThrough();
    fs.open(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW, (err, fd) => {
      if (err) return out.destroy(err);
      fs.realpath(`/proc/self/fd/${fd}`, (linkErr, seen) => {
        // Without /proc (not Linux), O_NOFOLLOW is the check.
        const inside = linkErr ? true : seen === dir || seen.startsWith(`${dir}/`);
        if (!inside) {
          fs.close(fd, () => undefined);
          return out.destroy(new Error(`${relative(dir, path)} left the build context while it was packed`));
        }
        fs.createReadStream('', { ...options, fd })
          .on('error', (e) => out.destroy(e))
          .pipe(out);
      });
    });
    return out;
  };
  return { ...fs, createReadStream } as unknown as typeof fs;
}

function buildQuery(options: BuildOptions, context: PreparedContext): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {
    t: options.tags,
    pullpolicy: PULL_POLICY[options.pull ?? 'missing'],
    // Cache layers like `podman build`, and remove intermediate containers even when a step fails.
    layers: 'true',
    rm: 'true',
    forcerm: 'true',
  };
  if (context.containerfile) query.dockerfile = context.containerfile;
  if (context.excludes) query.excludes = JSON.stringify(context.excludes);
  if (options.buildArgs && Object.keys(options.buildArgs).length)
    query.buildargs = JSON.stringify(options.buildArgs);
  query.labels = JSON.stringify({ ...options.labels, ...MANAGED_LABELS });
  if (options.target) query.target = options.target;
  if (options.network) Object.assign(query, networkQuery(options.network));
  return query;
}

/** The same mapping `podman build --network` makes (buildah's NamespaceOptionsFromFlagSet). */
function networkQuery(network: string): Record<string, string> {
  const namespace = (option: Record<string, unknown>) => JSON.stringify([{ Name: 'network', ...option }]);
  switch (network) {
    case 'none':
      return { nsoptions: namespace({}), networkmode: String(NETWORK_DISABLED) };
    case 'host':
      return { nsoptions: namespace({ Host: true }), networkmode: String(NETWORK_ENABLED) };
    case 'private':
    case 'bridge':
      return { nsoptions: namespace({}), networkmode: String(NETWORK_ENABLED) };
    default:
      return { nsoptions: namespace({ Path: network }), networkmode: String(NETWORK_ENABLED) };
  }
}

function buildFailed(message: string, log: BoundedText): McpPodmanError {
  const text = message.trim();
  const missingBase = /image not known|manifest unknown|name unknown|repository .* not found/i.test(text);
  return new McpPodmanError(
    missingBase ? 'IMAGE_NOT_FOUND' : 'PODMAN_ERROR',
    missingBase
      ? `The build failed because a base image is missing: ${text}. Build or pull the base image first (podman_pull), or allow pulling with pull="missing".`
      : `The build failed: ${text}. The log tail is in details.log; fix the Containerfile or context and build again.`,
    { details: { podman: text, log: log.toString() } },
  );
}

async function idOfTag(client: PodmanClient, tag: string | undefined, signal?: AbortSignal): Promise<string> {
  if (!tag) return '';
  const info = await client.json<{ Id: string }>('GET', `/libpod/images/${encodeURIComponent(tag)}/json`, {
    signal,
  });
  return info.Id;
}
