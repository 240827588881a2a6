import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { McpPodmanError } from '../errors.js';
import { type Config, ConfigSchema } from './schema.js';

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects; later sources win, arrays are replaced whole. */
export function mergeConfig(...sources: Plain[]): Plain {
  const out: Plain = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      if (value === undefined) continue;
      out[key] = isPlain(value) && isPlain(out[key]) ? mergeConfig(out[key] as Plain, value) : value;
    }
  }
  return out;
}

export async function readConfigFile(path: string): Promise<Plain> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new McpPodmanError('INVALID_PARAMS', `Cannot read config file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `Config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (parsed == null) return {};
  if (!isPlain(parsed))
    throw new McpPodmanError('INVALID_PARAMS', `Config file ${path} must hold an object at its top.`);
  return parsed;
}

/** Settings that come from the environment. */
export function configFromEnv(env: NodeJS.ProcessEnv): Plain {
  const cors = commaList(env.CORS_ORIGINS);
  return {
    authToken: env.MCP_PODMAN_AUTH_TOKEN || undefined,
    unsafeNoAuth: booleanOf(env.MCP_PODMAN_UNSAFE_NO_AUTH),
    logLevel: env.MCP_PODMAN_LOG_LEVEL || undefined,
    // Origins that get CORS headers must also pass the Origin guard.
    allowedOrigins: cors,
    api: {
      templatesDir: env.MCP_PODMAN_TEMPLATES || undefined,
      maxContainers: numberOf(env.MAX_CONTAINERS),
      defaultMemoryLimit: env.DEFAULT_MEMORY_LIMIT || undefined,
      defaultCpuLimit: numberOf(env.DEFAULT_CPU_LIMIT),
      network: env.MCP_NETWORK || undefined,
      healthCheckIntervalSec: numberOf(env.HEALTH_CHECK_INTERVAL),
      corsOrigins: cors,
      enableMetrics: booleanOf(env.ENABLE_METRICS),
      enableAuth: booleanOf(env.ENABLE_AUTH),
    },
    bindRoots: commaList(env.MCP_PODMAN_BIND_ROOTS),
    registryCredentials: credentialBindings(env.MCP_PODMAN_CREDENTIAL_REGISTRIES),
    composeEnv: commaList(env.MCP_PODMAN_COMPOSE_ENV),
    allowHostNetwork: booleanOf(env.MCP_PODMAN_ALLOW_HOST_NETWORK),
    limits: { registryStallMs: numberOf(env.MCP_PODMAN_REGISTRY_STALL_MS) },
  };
}

function commaList(value: string | undefined): string[] | undefined {
  const list = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length ? list : undefined;
}

/**
 * Credential bindings written as "REF=host,host;REF=host" (the env form; a flag gives one
 * "REF=host,host" each time). An entry without "=" keeps an empty list, which the schema refuses
 * by name.
 */
export function credentialBindings(value: string | undefined): Record<string, string[]> | undefined {
  const entries = (value ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry): [string, string[]] => {
      const i = entry.indexOf('=');
      return i < 0 ? [entry, []] : [entry.slice(0, i).trim(), commaList(entry.slice(i + 1)) ?? []];
    });
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** A malformed number stays a string, so the schema names the variable's field in its error. */
function numberOf(value: string | undefined): number | string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

function booleanOf(value: string | undefined): boolean | string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return value;
}

/** Parses the merged sources once; a bad field is named with its path. */
export function parseConfig(merged: Plain, origin = 'configuration'): Config {
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new McpPodmanError('INVALID_PARAMS', `Invalid ${origin}: ${problems.join('; ')}`, {
      details: { issues: z.treeifyError(result.error) },
    });
  }
  checkAuthSettings(result.data, origin);
  return result.data;
}

/** The auth settings that contradict each other: the server would have to guess which one is meant. */
function checkAuthSettings(config: Config, origin: string): void {
  if (config.unsafeNoAuth && config.api.enableAuth) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `Invalid ${origin}: ENABLE_AUTH is on, and it forbids --unsafe-no-auth (MCP_PODMAN_UNSAFE_NO_AUTH). Drop one of them.`,
    );
  }
  if (config.unsafeNoAuth && config.authToken) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `Invalid ${origin}: --unsafe-no-auth (MCP_PODMAN_UNSAFE_NO_AUTH) and a configured auth token contradict each other. Drop one of them.`,
    );
  }
  if (config.api.enableAuth && !config.authToken) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `Invalid ${origin}: ENABLE_AUTH is on but no token is configured. Set MCP_PODMAN_AUTH_TOKEN (or --auth-token), or drop ENABLE_AUTH to use a generated token.`,
    );
  }
}

export async function loadConfig(options: {
  file?: string;
  flags: Plain;
  env: NodeJS.ProcessEnv;
}): Promise<Config> {
  const fromFile = options.file ? await readConfigFile(options.file) : {};
  const origin = options.file
    ? `configuration (file ${options.file}, environment and flags)`
    : 'configuration';
  return parseConfig(mergeConfig(fromFile, configFromEnv(options.env), options.flags), origin);
}
