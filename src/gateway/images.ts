import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { McpPodmanError } from '../errors.js';
import { buildImage } from '../podman/build.js';
import type { PodmanClient } from '../podman/client.js';
import { MANAGED_LABELS } from '../podman/labels.js';
import { registryStream } from '../podman/registry-stream.js';
import type { CatalogEntry } from './catalog-schema.js';

const execFileAsync = promisify(execFile);

export interface ImageOptions {
  client: PodmanClient;
  entry: CatalogEntry;
  /** Base image for npm packages (must have node on PATH). */
  baseImage: string;
  /** Longest silence while a registry is waited on (limits.registryStallMs). */
  stallMs: number;
  signal?: AbortSignal;
  progress?: (message: string) => void;
}

/**
 * What to do when an image cannot be pulled, which on a machine without a registry is every time:
 * the ways to have it locally instead. Said for the entry's own image and for the base image that
 * npm entries are built on.
 */
const OFFLINE_IMAGE =
  'Without a registry, make it local under that name: build it (podman build -t <that name> .), or ' +
  'podman save it where a registry is reachable and podman load it here; then try again.';
const OFFLINE_BASE =
  'This is the base image npm entries are built on (the package itself is installed from this host). ' +
  'Without a registry, pass --base-image (gateway.baseImage in the config file) naming a local image ' +
  'with node on its PATH, built with podman build or loaded with podman load; then add the entry again.';

export async function imageExists(client: PodmanClient, ref: string): Promise<boolean> {
  const status = await client.call('GET', `/libpod/images/${encodeURIComponent(ref)}/exists`, {
    okStatuses: [404],
  });
  return status === 204;
}

export interface PullOptions {
  /** Longest silence while the registry is waited on (limits.registryStallMs). */
  stallMs: number;
  signal?: AbortSignal;
  progress?: (m: string) => void;
}

/** Pulls an image unless it is present; the pull's {"error"} line becomes a coded error. */
export async function ensurePulled(client: PodmanClient, ref: string, options: PullOptions): Promise<void> {
  if (await imageExists(client, ref)) return;
  const { stallMs, signal, progress } = options;
  const lines = registryStream<{ stream?: string; error?: string }>(client, 'POST', '/libpod/images/pull', {
    query: { reference: ref, quiet: false },
    signal,
    stall: { stallMs, action: `The pull of "${ref}"`, image: ref },
  });
  for await (const line of lines) {
    if (line.error) {
      throw new McpPodmanError(
        'IMAGE_NOT_FOUND',
        `Could not pull image "${ref}": ${line.error.trim()}. Check the image name. ${OFFLINE_IMAGE}`,
        { details: { image: ref, error: line.error.trim() } },
      );
    }
    if (line.stream?.trim()) progress?.(line.stream.trim());
  }
}

/** The base image's pull failure, told as the base image's: its fix is another flag. */
function baseImageMissing(err: unknown): never {
  if (!(err instanceof McpPodmanError && err.code === 'IMAGE_NOT_FOUND')) throw err;
  throw new McpPodmanError(
    err.code,
    `Could not pull the base image "${String(err.details.image)}": ${String(err.details.error)}. ${OFFLINE_BASE}`,
    { cause: err, details: err.details },
  );
}

/** The local tag an npm package's image gets, so a second add reuses it. */
export function npmImageTag(pkg: { name: string; version: string }, baseImage: string): string {
  const name = pkg.name.replace(/^@/, '').replace(/[^a-z0-9._-]/g, '-');
  const version = pkg.version.replace(/[^\w.-]/g, '-');
  const base = baseImage
    .replace(/[^a-z0-9]/gi, '')
    .slice(-12)
    .toLowerCase();
  return `localhost/mcp-podman/npm-${name}:${version}-${base}`;
}

/**
 * The image a mount runs: an OCI image (pulled when missing) or an npm package built on the base
 * image. The package is installed on this host with install scripts disabled, then copied in: the
 * build needs no network inside a container.
 */
export async function resolveImage(options: ImageOptions): Promise<string> {
  const { client, entry } = options;
  if (entry.image) {
    await ensurePulled(client, entry.image, options);
    return entry.image;
  }
  const pkg = entry.package!;
  const tag = npmImageTag(pkg, options.baseImage);
  if (await imageExists(client, tag)) return tag;
  await ensurePulled(client, options.baseImage, options).catch(baseImageMissing);
  const dir = await mkdtemp(join(tmpdir(), 'mcp-podman-npm-'));
  try {
    await writeFile(
      join(dir, 'package.json'),
      '{"name":"mcp-podman-mount","version":"1.0.0","private":true}',
    );
    options.progress?.(`npm install ${pkg.name}@${pkg.version}`);
    try {
      await execFileAsync(
        'npm',
        [
          'install',
          '--omit=dev',
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
          `${pkg.name}@${pkg.version}`,
        ],
        {
          cwd: dir,
          timeout: 300_000,
          signal: options.signal,
          maxBuffer: 16 << 20,
        },
      );
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message);
      throw new McpPodmanError(
        'NOT_FOUND',
        `npm could not install ${pkg.name}@${pkg.version}: ${stderr.trim().split('\n').slice(-3).join(' ')}`,
        { cause: err },
      );
    }
    const meta = JSON.parse(await readFile(join(dir, 'node_modules', pkg.name, 'package.json'), 'utf8')) as {
      bin?: string | Record<string, string>;
    };
    const bins = typeof meta.bin === 'string' ? { [pkg.name]: meta.bin } : (meta.bin ?? {});
    const bin = pkg.bin ? bins[pkg.bin] : Object.values(bins)[0];
    if (!bin) {
      throw new McpPodmanError(
        'INVALID_PARAMS',
        `npm package ${pkg.name} has no ${pkg.bin ? `bin "${pkg.bin}"` : 'bin script'} to run.`,
      );
    }
    const script = `/app/node_modules/${pkg.name}/${bin.replace(/^\.\//, '')}`;
    await buildImage(client, {
      contextDir: dir,
      containerfileText: `FROM ${options.baseImage}\nCOPY node_modules /app/node_modules\nWORKDIR /app\nENTRYPOINT ["node", "${script}"]\n`,
      tags: [tag],
      labels: { ...MANAGED_LABELS, 'io.mcp-podman.npm-package': `${pkg.name}@${pkg.version}` },
      pull: 'never',
      network: 'none',
      signal: options.signal,
      stallMs: options.stallMs,
      onProgress: (_step, message) => options.progress?.(message),
    });
    return tag;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
