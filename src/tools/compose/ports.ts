import { isIP } from 'node:net';
import { type PortMapping, parsePort } from '../schemas.js';
import type { ComposePort } from './model.js';
import { isMap, type Problems, scalarText } from './values.js';

const SHORT_FORMS =
  'must be "HOST:CONTAINER", "IP:HOST:CONTAINER", "CONTAINER" or equal-length ranges ("8080-8081:80-81"), optionally /udp, or a map with target';
const LONG_KEYS = new Set(['target', 'published', 'host_ip', 'protocol', 'mode', 'name', 'app_protocol']);
const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;

/** `ports:` in the short ("127.0.0.1:8080:80/udp", ranges) and long (map with target) syntaxes. */
export function ports(v: unknown, path: string, problems: Problems): ComposePort[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return problems.add(path, 'must be a list') ?? [];
  return v.flatMap((entry, i) => {
    const here = `${path}[${i}]`;
    const mapping = isMap(entry) ? longPort(entry, here, problems) : shortPort(entry, here, problems);
    return mapping ? [mapping] : [];
  });
}

/**
 * The short syntax. A range maps one-to-one ("8080-8081:80-81", or "80-81" with random host ports);
 * a host range for a single container port means "any one of them" in compose, which Podman cannot
 * express, so it is refused.
 */
export function shortPort(entry: unknown, path: string, problems: Problems): ComposePort | undefined {
  const text = scalarText(entry);
  if (text === undefined) return problems.add(path, SHORT_FORMS);
  const ranges = [...text.matchAll(/(\d+)-(\d+)/g)];
  // With every range replaced by its first port the mapping is an ordinary one; parsePort checks it.
  const mapping = parsePort(text.replace(/(\d+)-(\d+)/g, '$1'));
  if (!mapping || ranges.length > 2) return problems.add(path, SHORT_FORMS);
  if (ranges.length === 0) return mapping;
  const sizes = ranges.map((m) => Number(m[2]) - Number(m[1]) + 1);
  const containerPart =
    text
      .replace(/\/\w+$/, '')
      .split(':')
      .at(-1) ?? '';
  const containerRange = /^\d+-\d+$/.test(containerPart);
  const size = sizes.at(-1)!;
  if (sizes.some((s) => s < 2) || sizes[0] !== size) {
    return problems.add(path, 'a range must go upwards and host and container ranges must be equally long');
  }
  if (!containerRange || (mapping.host_port !== undefined && ranges.length === 1)) {
    return problems.add(
      path,
      'a host port range for one container port (or a range on one side only) is not supported: give equal ranges on both sides',
    );
  }
  if (mapping.container_port + size - 1 > 65535 || (mapping.host_port ?? 0) + size - 1 > 65535) {
    return problems.add(path, 'the range goes past port 65535');
  }
  return { ...mapping, range: size };
}

/** The long syntax; mode host and ingress mean the same on one machine. */
function longPort(entry: Record<string, unknown>, path: string, problems: Problems): ComposePort | undefined {
  const before = problems.list.length;
  for (const key of Object.keys(entry)) {
    if (!LONG_KEYS.has(key))
      problems.add(`${path}.${key}`, `is not a port key (${[...LONG_KEYS].join(', ')})`);
  }
  const target = portNumber(entry.target);
  if (target === undefined) problems.add(`${path}.target`, 'must be a port number from 1 to 65535');
  const published = entry.published === undefined ? undefined : portNumber(entry.published);
  if (entry.published !== undefined && published === undefined) {
    problems.add(
      `${path}.published`,
      'must be one port number from 1 to 65535 (a range of host ports for one target is not supported)',
    );
  }
  const hostIp = entry.host_ip === undefined ? undefined : scalarText(entry.host_ip);
  if (entry.host_ip !== undefined && (!hostIp || !isIP(hostIp))) {
    problems.add(`${path}.host_ip`, 'must be an IPv4 or IPv6 address');
  }
  const protocol = entry.protocol ?? 'tcp';
  if (!PROTOCOLS.includes(protocol as PortMapping['protocol'])) {
    problems.add(`${path}.protocol`, `must be one of ${PROTOCOLS.join(', ')}`);
  }
  if (entry.mode !== undefined && entry.mode !== 'host' && entry.mode !== 'ingress') {
    problems.add(`${path}.mode`, 'must be host or ingress');
  }
  if (problems.list.length > before || target === undefined) return undefined;
  return {
    ...(hostIp ? { host_ip: hostIp } : {}),
    ...(published !== undefined ? { host_port: published } : {}),
    container_port: target,
    protocol: protocol as PortMapping['protocol'],
  };
}

function portNumber(v: unknown): number | undefined {
  const text = scalarText(v);
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}
