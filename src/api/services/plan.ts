import { realpath } from 'node:fs/promises';
import type { Config } from '../../config/schema.js';
import { McpPodmanError } from '../../errors.js';
import type { CatalogEntry } from '../../gateway/catalog-schema.js';
import { ensurePulled, type PullOptions, resolveImage } from '../../gateway/images.js';
import type { PodmanClient } from '../../podman/client.js';
import { assertBindable } from '../../tools/bind-roots.js';
import { restartWithBinds } from '../../tools/confinement.js';
import { looksSecret } from '../../tools/redact.js';
import type { DocumentedTemplate, Template } from '../templates.js';
import { NO_TEMPLATE } from './labels.js';
import type { CreateServiceRequest, StartServiceRequest } from './model.js';
import type { HttpServicePlan } from './spec.js';

/** A plan and the secret env values it needs stored before its containers are created. */
export interface PlannedService {
  plan: HttpServicePlan;
  secretValues: Record<string, string>;
}

interface PlanContext {
  podman: PodmanClient;
  config: Config;
  signal: AbortSignal;
}

/** How this request waits on registries: the caller's signal and the configured stall time. */
function pullOptions(ctx: PlanContext): PullOptions {
  return { stallMs: ctx.config.limits.registryStallMs, signal: ctx.signal };
}

function base(config: Config): Pick<HttpServicePlan, 'memoryLimit' | 'cpuLimit' | 'network' | 'createdAt'> {
  return {
    memoryLimit: config.api.defaultMemoryLimit,
    cpuLimit: config.api.defaultCpuLimit,
    network: config.api.network,
    createdAt: new Date().toISOString(),
  };
}

/** Splits env into plain values and secret-looking ones (kept out of the container spec). */
function splitSecrets(env: Record<string, string>, secret: (name: string) => boolean) {
  const plain: Record<string, string> = {};
  const secretValues: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) (secret(k) ? secretValues : plain)[k] = v;
  return { plain, secretValues };
}

function missingError(template: string, missing: string[]): McpPodmanError {
  return new McpPodmanError(
    'INVALID_PARAMS',
    `Template "${template}" needs ${missing.join(', ')}. Pass ${missing.length > 1 ? 'them' : 'it'} in environment.`,
    { details: { missing } },
  );
}

function fromEntry(
  entry: CatalogEntry,
  given: Record<string, string>,
): { env: Record<string, string>; secretNames: Set<string> } {
  const unknown = Object.keys(given).filter((k) => !(k in entry.env));
  if (unknown.length) {
    const declared = Object.keys(entry.env);
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `Template "${entry.id}" does not declare ${unknown.join(', ')}. ${declared.length ? `It takes: ${declared.join(', ')}.` : 'It takes no environment variables.'}`,
    );
  }
  const env: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, spec] of Object.entries(entry.env)) {
    const value = given[name] ?? spec.default;
    if (value !== undefined) env[name] = value;
    else if (spec.required) missing.push(name);
  }
  if (missing.length) throw missingError(entry.id, missing);
  const secretNames = new Set(
    Object.entries(entry.env)
      .filter(([, s]) => s.secret)
      .map(([n]) => n),
  );
  return { env, secretNames };
}

function fromDocument(doc: DocumentedTemplate, given: Record<string, string>): Record<string, string> {
  const env = { ...doc.default_config.environment, ...given };
  const missing = doc.required_env_vars.filter((v) => !env[v]);
  if (missing.length) throw missingError(doc.name, missing);
  return env;
}

/** The plan of an http or mcp-http service from a template; pulls or builds its image. */
export async function planFromTemplate(
  template: Template,
  request: CreateServiceRequest,
  ctx: PlanContext,
): Promise<PlannedService> {
  const given = request.environment ?? {};
  const common = {
    ...base(ctx.config),
    name: request.service_name,
    template: template.view.name,
    replicas: request.replicas,
  };
  if (template.entry) {
    const entry = template.entry;
    if (entry.transport.type !== 'http') throw new McpPodmanError('INTERNAL_ERROR', 'not an http entry');
    const { env, secretNames } = fromEntry(entry, given);
    const { plain, secretValues } = splitSecrets(env, (k) => secretNames.has(k) || looksSecret(k));
    const image = await resolveImage({
      client: ctx.podman,
      entry,
      baseImage: ctx.config.gateway.baseImage,
      ...pullOptions(ctx),
    });
    return {
      secretValues,
      plan: {
        ...common,
        kind: 'mcp-http',
        image,
        port: entry.transport.port,
        env: plain,
        secretEnv: {},
        volumes: {},
        memoryLimit: entry.resources.memory,
        cpuLimit: entry.resources.cpus,
        restartPolicy: 'unless-stopped',
        labels: {},
        command: entry.command,
        args: entry.args.length ? entry.args : undefined,
        network:
          ctx.config.api.network ?? (entry.network && entry.network !== 'none' ? entry.network : undefined),
      },
    };
  }
  const doc = template.doc;
  const cfg = doc.default_config;
  const { plain, secretValues } = splitSecrets(fromDocument(doc, given), looksSecret);
  const image = (cfg.image ?? doc.image)!;
  await ensurePulled(ctx.podman, image, pullOptions(ctx));
  return {
    secretValues,
    plan: {
      ...common,
      kind: template.view.kind === 'mcp-http' ? 'mcp-http' : 'http',
      image,
      port: cfg.port,
      env: plain,
      secretEnv: {},
      volumes: await realKeys(cfg.volumes),
      ...(cfg.memory_limit ? { memoryLimit: cfg.memory_limit } : {}),
      ...(cfg.cpu_limit !== undefined ? { cpuLimit: cfg.cpu_limit } : {}),
      // Podman's own restarts would resolve host folders again unchecked; the operator's template
      // keeps its policy only without them (our starts and health restarts check the folders).
      restartPolicy: Object.keys(cfg.volumes).length ? 'no' : cfg.restart_policy,
      healthPath: cfg.health_check_path,
      healthIntervalSec: cfg.health_check_interval,
      labels: cfg.labels,
      command: cfg.command,
      args: cfg.args,
    },
  };
}

/** The plan of a plain http service started from an image, without a template. */
export async function planFromImage(
  name: string,
  request: StartServiceRequest,
  ctx: PlanContext,
): Promise<PlannedService> {
  await ensurePulled(ctx.podman, request.image, pullOptions(ctx));
  const { plain, secretValues } = splitSecrets(request.environment ?? {}, looksSecret);
  return {
    secretValues,
    plan: {
      ...base(ctx.config),
      name,
      template: NO_TEMPLATE,
      kind: 'http',
      image: request.image,
      port: request.port,
      env: plain,
      secretEnv: {},
      volumes: await bindable(request.volumes ?? {}, ctx.config.bindRoots),
      ...(request.memory_limit ? { memoryLimit: request.memory_limit } : {}),
      ...(request.cpu_limit !== undefined ? { cpuLimit: request.cpu_limit } : {}),
      restartPolicy: restartPolicyFor(request),
      healthPath: request.health_check_path,
      labels: request.labels ?? {},
      command: request.command,
      args: request.args,
      replicas: request.replicas,
    },
  };
}

/**
 * The operator's template folders by their real paths: every start checks that a bind source is
 * still its own real path, so one written through a link (/home on some systems) is resolved here.
 */
async function realKeys(volumes: Record<string, string>): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(volumes).map(async ([host, target]) => [await realpath(host).catch(() => host), target]),
  );
  return Object.fromEntries(entries);
}

/** A service with host folders restarts only through us, where the folders are checked again. */
function restartPolicyFor(request: StartServiceRequest): string {
  const hasBinds = Object.keys(request.volumes ?? {}).length > 0;
  if (!hasBinds) return request.restart_policy ?? 'unless-stopped';
  if (request.restart_policy && request.restart_policy !== 'no')
    throw restartWithBinds('This service', `restart_policy "${request.restart_policy}"`);
  return 'no';
}

/** Host paths an API caller asks to mount, under the same policy as the tools' binds. */
async function bindable(volumes: Record<string, string>, roots: string[]): Promise<Record<string, string>> {
  const entries = Object.entries(volumes);
  const reals = await assertBindable(
    entries.map(([host]) => host),
    roots,
    'This service',
  );
  if (new Set(reals).size < reals.length)
    throw new McpPodmanError('INVALID_PARAMS', 'Two volumes lead to the same host folder; mount it once.');
  return Object.fromEntries(entries.map(([, target], i) => [reals[i]!, target]));
}
