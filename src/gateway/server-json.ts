import type { CatalogEntryInput } from './catalog-schema.js';

/**
 * Imports an official MCP registry `server.json` document. Only packages we can run in a container
 * are taken: registryType "oci" (an image) or "npm" (built into an image locally), with a stdio or
 * streamable-http transport. The first usable package wins.
 */
interface ServerJsonArgument {
  type?: 'positional' | 'named';
  name?: string;
  value?: string;
  default?: string;
  valueHint?: string;
}

interface ServerJsonPackage {
  registryType?: string;
  registry_name?: string;
  identifier?: string;
  name?: string;
  version?: string;
  transport?: { type?: string; url?: string };
  packageArguments?: ServerJsonArgument[];
  environmentVariables?: {
    name: string;
    description?: string;
    isRequired?: boolean;
    isSecret?: boolean;
    default?: string;
  }[];
}

export interface ServerJson {
  name: string;
  title?: string;
  description?: string;
  version?: string;
  packages?: ServerJsonPackage[];
}

export function isServerJson(value: unknown): value is ServerJson {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ServerJson).name === 'string' &&
    Array.isArray((value as ServerJson).packages)
  );
}

export class ServerJsonError extends Error {}

export function entryFromServerJson(doc: ServerJson): CatalogEntryInput {
  const usable = (doc.packages ?? []).filter((p) => {
    const type = p.registryType ?? p.registry_name;
    const transport = p.transport?.type ?? 'stdio';
    return (type === 'oci' || type === 'npm') && (transport === 'stdio' || transport === 'streamable-http');
  });
  const pkg = usable[0];
  if (!pkg) {
    const types = (doc.packages ?? []).map((p) => p.registryType ?? p.registry_name).join(', ') || 'none';
    throw new ServerJsonError(
      `server.json "${doc.name}" has no package mcp-podman can run (found: ${types}); it needs registryType "oci" or "npm" with a stdio or streamable-http transport.`,
    );
  }
  const identifier = pkg.identifier ?? pkg.name ?? '';
  const type = pkg.registryType ?? pkg.registry_name;
  const env: NonNullable<CatalogEntryInput['env']> = {};
  for (const v of pkg.environmentVariables ?? []) {
    env[v.name] = {
      description: v.description,
      required: v.isRequired ?? false,
      secret: v.isSecret ?? false,
      ...(v.default !== undefined && !v.isSecret ? { default: v.default } : {}),
    };
  }
  const args = (pkg.packageArguments ?? []).flatMap((a) => {
    const value = a.value ?? a.default;
    if (value === undefined) return [];
    return a.type === 'named' && a.name ? [a.name, value] : [value];
  });
  const transport =
    pkg.transport?.type === 'streamable-http' ? httpTransport(pkg.transport.url) : { type: 'stdio' as const };
  const id = doc.name.toLowerCase().replace(/[^a-z0-9._/-]/g, '-');
  const base: CatalogEntryInput = {
    id,
    name: doc.title ?? doc.name,
    description: doc.description ?? '',
    args,
    env,
    transport,
  };
  if (type === 'oci') {
    const hasTag = /:[\w][\w.-]*$/.test(identifier.split('/').pop() ?? '') || identifier.includes('@sha256:');
    return { ...base, image: hasTag || !pkg.version ? identifier : `${identifier}:${pkg.version}` };
  }
  return { ...base, package: { name: identifier, version: pkg.version ?? 'latest' } };
}

function httpTransport(url: string | undefined): { type: 'http'; port: number; path: string } {
  let port = 8080;
  let path = '/mcp';
  if (url) {
    // Templates such as http://localhost:{port}/mcp are resolved to the declared default.
    const parsed = /:(\d+)(\/[^\s?#]*)?/.exec(url.replace(/\{[^}]*\}/g, ''));
    if (parsed?.[1]) port = Number(parsed[1]);
    if (parsed?.[2]) path = parsed[2];
  }
  return { type: 'http', port, path };
}
