import type { Dispatcher } from 'undici';
import { McpPodmanError } from '../errors.js';
import type { PodmanClient, RequestOptions } from './client.js';
import { jsonLines } from './streams.js';

/**
 * How a request that waits on a registry is watched. Podman streams a JSON line per step of a
 * pull, push or build, and says nothing while the registry says nothing (measured on Podman 4.3:
 * "Trying to pull ..." and then silence). So silence is the measure: `stallMs` without a line ends
 * the request, and Podman, seeing its client go, drops its own connection to the registry.
 */
export interface StallWatch<T> {
  /** Longest silence allowed while Podman waits on a registry (config limits.registryStallMs). */
  stallMs: number;
  /** What is waiting, for the message, e.g. `The pull of "x"`. */
  action: string;
  /** The image whose registry is named in the message (a phase may name another). */
  image: string;
  /**
   * For streams with long local silences of their own (a build's RUN steps): says after each line
   * whether Podman now waits on a registry (the image it pulls), works locally (false) or is where it
   * was (undefined). Such a stream starts unwatched. Without it, every silence counts.
   */
  phase?: (line: T) => string | false | undefined;
}

export interface RegistryRequest<T> extends RequestOptions {
  stall: StallWatch<T>;
}

/**
 * Sends a request whose answer is a stream of JSON lines and yields them, ending the request with
 * a TIMEOUT when the stream stalls (see StallWatch). The caller's signal still means CANCELLED.
 */
export async function* registryStream<T = Record<string, unknown>>(
  client: PodmanClient,
  method: Dispatcher.HttpMethod,
  path: string,
  options: RegistryRequest<T>,
): AsyncGenerator<T> {
  const { stall, signal, ...request } = options;
  const stalled = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stalled.abort(), stall.stallMs);
  };
  let image = stall.image;
  let watched = stall.phase === undefined;
  if (watched) arm();
  try {
    const res = await client.request(method, path, {
      ...request,
      signal: signal ? AbortSignal.any([signal, stalled.signal]) : stalled.signal,
    });
    for await (const line of jsonLines<T>(res.body)) {
      // The caller's handling of a line (a progress notification) is not the registry's silence.
      clearTimeout(timer);
      const phase = stall.phase?.(line);
      if (typeof phase === 'string') image = phase;
      if (phase !== undefined) watched = phase !== false;
      yield line;
      if (watched) arm();
    }
  } catch (err) {
    if (stalled.signal.aborted && !signal?.aborted) throw stallError({ ...stall, image }, err);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function stallError(stall: { stallMs: number; action: string; image: string }, cause: unknown) {
  const registry = registryOf(stall.image);
  const where = registry ? `the registry at ${registry}` : `the registry of "${stall.image}"`;
  const seconds = Math.round(stall.stallMs / 100) / 10;
  return new McpPodmanError(
    'TIMEOUT',
    `${stall.action} was stopped: ${where} accepted the connection and sent nothing for ${seconds} s. ` +
      'Check that the registry is up and reachable from the Podman host, or raise the stall time for a ' +
      `slow registry (--registry-stall <ms>, MCP_PODMAN_REGISTRY_STALL_MS; now ${stall.stallMs} ms). ` +
      'On an offline machine, build the image locally or use an image already in local storage.',
    { cause, details: { image: stall.image, registry: registry ?? null, stallMs: stall.stallMs } },
  );
}

/**
 * The registry host of an image reference, when the reference names one: its first component, if
 * that has a dot or a port or is localhost. A short name ("alpine") goes wherever registries.conf
 * sends it, so none is named.
 */
export function registryOf(image: string): string | undefined {
  const slash = image.indexOf('/');
  if (slash < 0) return undefined;
  const first = image.slice(0, slash);
  return /[.:]/.test(first) || first === 'localhost' ? first : undefined;
}
