import { z } from 'zod';
import type { ErrorCode } from '../errors.js';

/**
 * Shared argument schemas. Every name, reference and spec is checked here, before Podman sees it,
 * and a destructive call can never widen: an empty, blank or wildcard-looking name is refused.
 */

/** Marks an issue with the error code it should surface as (read by the tool runner). */
export function coded(code: ErrorCode): { params: { errorCode: ErrorCode } } {
  return { params: { errorCode: code } };
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const WILDCARDS = /[*?[\]{}]/;

/** A container name or id, as Podman accepts them. */
export const containerRef = z
  .string()
  .max(253)
  .refine((v) => NAME_RE.test(v) && !WILDCARDS.test(v), {
    message:
      'must be a container name or id: letters, digits, "_", "." and "-", starting with a letter or digit (no wildcards, no blanks)',
    ...coded('INVALID_CONTAINER_NAME'),
  });

/** A name for a new object (container, pod, volume, network, secret). */
export const objectName = z
  .string()
  .max(253)
  .refine((v) => NAME_RE.test(v), {
    message: 'must be letters, digits, "_", "." and "-", starting with a letter or digit',
  });

/** A name or id of an existing pod, volume, network or secret. */
export const objectRef = objectName;

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?|\\[[0-9a-fA-F:]+\\](?::[0-9]+)?)';
const REFERENCE_RE = new RegExp(
  `^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
const IMAGE_ID_RE = /^(?:sha256:)?[a-f0-9]{12,64}$/;

export function isImageReference(v: string): boolean {
  return REFERENCE_RE.test(v) || IMAGE_ID_RE.test(v);
}

/** An image reference (registry/name:tag@digest) or an image id. */
export const imageRef = z.string().max(512).refine(isImageReference, {
  message: 'must be an image reference such as "docker.io/library/nginx:1.27", "nginx" or an image id',
});

const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** KEY=VALUE */
export const envEntry = z
  .string()
  .max(32 * 1024)
  .refine((v) => ENV_KEY_RE.test(v.split('=', 1)[0] ?? '') && v.includes('='), {
    message: 'must be KEY=VALUE with KEY made of letters, digits and "_" (not starting with a digit)',
  });

export const envKey = z
  .string()
  .regex(ENV_KEY_RE, 'must be letters, digits and "_", not starting with a digit');

export function parseEnvEntries(entries: string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries ?? []) {
    const i = entry.indexOf('=');
    env[entry.slice(0, i)] = entry.slice(i + 1);
  }
  return env;
}

export interface PortMapping {
  host_ip?: string;
  host_port?: number;
  container_port: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

const PORT_RE =
  /^(?:(?<ip>\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(?:(?<host>\d{1,5})?:)?(?<ctr>\d{1,5})(?:\/(?<proto>tcp|udp|sctp))?$/;

export function parsePort(spec: string): PortMapping | undefined {
  const m = PORT_RE.exec(spec);
  if (!m?.groups) return undefined;
  const { ip, host, ctr, proto } = m.groups;
  const containerPort = Number(ctr);
  const hostPort = host === undefined ? undefined : Number(host);
  if (containerPort < 1 || containerPort > 65535) return undefined;
  if (hostPort !== undefined && (hostPort < 1 || hostPort > 65535)) return undefined;
  if (ip && !ip.startsWith('[') && ip.split('.').some((o) => Number(o) > 255)) return undefined;
  return {
    ...(ip ? { host_ip: ip.replace(/^\[|\]$/g, '') } : {}),
    ...(hostPort !== undefined ? { host_port: hostPort } : {}),
    container_port: containerPort,
    protocol: (proto as PortMapping['protocol']) ?? 'tcp',
  };
}

/** [IP:][HOST:]CONTAINER[/tcp|udp|sctp] */
export const portSpec = z.string().refine((v) => parsePort(v) !== undefined, {
  message:
    'must be "HOST:CONTAINER", "IP:HOST:CONTAINER" or "CONTAINER", optionally with /tcp, /udp or /sctp',
});

export type VolumeMount =
  | { kind: 'bind'; source: string; destination: string; options: string[] }
  | { kind: 'named'; name: string; destination: string; options: string[] };

const VOLUME_OPTIONS = new Set([
  'ro',
  'rw',
  'z',
  'Z',
  'U',
  'exec',
  'noexec',
  'suid',
  'nosuid',
  'dev',
  'nodev',
  'rbind',
  'bind',
  'private',
  'rprivate',
  'shared',
  'rshared',
  'slave',
  'rslave',
  'idmap',
  'copy',
  'nocopy',
]);

export function parseVolume(spec: string): VolumeMount | undefined {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) return undefined;
  const [source = '', destination = '', opts] = parts;
  if (!destination.startsWith('/') || destination.includes('\0')) return undefined;
  const options = opts ? opts.split(',') : [];
  if (options.some((o) => !VOLUME_OPTIONS.has(o))) return undefined;
  if (source.startsWith('/')) {
    if (source.includes('\0') || source.split('/').includes('..')) return undefined;
    return { kind: 'bind', source, destination, options };
  }
  if (!NAME_RE.test(source)) return undefined;
  return { kind: 'named', name: source, destination, options };
}

/** HOST_PATH_OR_VOLUME:CONTAINER_PATH[:ro,z,...] */
export const volumeSpec = z.string().refine((v) => parseVolume(v) !== undefined, {
  message:
    'must be "/host/path:/container/path" or "volume-name:/container/path", optionally with ":ro" or other mount options',
});

export const labelsRecord = z
  .record(z.string().min(1).max(253), z.string().max(4096))
  .describe('Labels as a map of key to value');

/** A memory size such as 512m, 1g or 134217728 (bytes). */
export const memorySize = z
  .string()
  .regex(/^\d+(?:\.\d+)?[bkmgBKMG]?$/, 'must be a size such as 512m, 1g or 67108864');

export function parseMemory(v: string): number {
  const m = /^(\d+(?:\.\d+)?)([bkmgBKMG]?)$/.exec(v)!;
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase()] ?? 1;
  return Math.round(Number(m[1]) * unit);
}

/** Podman's filter arguments are a JSON map of key to list of values. */
export function filtersOf(
  entries: Record<string, string | string[] | undefined>,
): Record<string, string[]> | undefined {
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(entries)) {
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? value : [value];
  }
  return Object.keys(out).length ? out : undefined;
}
