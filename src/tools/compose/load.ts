import { basename, dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { McpPodmanError } from '../../errors.js';
import { readHostFile } from '../host-file.js';
import { startOrder } from './graph.js';
import { type InterpolationResult, interpolateTree, parseEnvFile, type Variables } from './interpolate.js';
import { refusalReason, unsupportedKeys } from './keys.js';
import {
  type ComposeProject,
  PROJECT_NAME_RE,
  type ProjectObject,
  projectLabels,
  type ServiceSpec,
} from './model.js';
import { composePath, normalizeService } from './service.js';
import { isMap, keyValues, Problems, scalarText, stringList } from './values.js';

export interface LoadOptions {
  file: string;
  projectName?: string;
  /** Variables given with the call; they win over the allowed environment and the .env file. */
  variables?: Record<string, string>;
  /** Profiles to enable; without them, COMPOSE_PROFILES (comma-separated) from the variables. */
  profiles?: string[];
  /**
   * The bind roots: the compose file, its .env and its env_files are host files read for the
   * client (into containers, even), so they must lie under them.
   */
  bindRoots: string[];
  /** The names of the server's environment variables the operator lets compose files interpolate. */
  composeEnv: string[];
}

/** Who reads the compose file, .env and env_files, as refusals name it. */
export const COMPOSE_READS = 'This compose call';
/** What a client can do about a compose file outside the bind roots. */
export const COMPOSE_INSTEAD = 'keep the compose project in a folder the operator shares';

function invalid(file: string, problems: string[], hint: string): McpPodmanError {
  return new McpPodmanError(
    'INVALID_PARAMS',
    `The compose file ${file} cannot be used: ${problems.join('; ')}. ${hint}`,
    { details: { file, problems } },
  );
}

/**
 * Reads, checks and resolves a compose file. Every check that needs no Podman happens here, so a
 * bad file fails before anything is created: unsupported keys, interpolation, value forms,
 * unknown or cyclic dependencies, duplicate container names.
 */
export async function loadProject(options: LoadOptions): Promise<ComposeProject> {
  const { file, dir, doc } = await readComposeFile(options);

  const unsupported = unsupportedKeys(doc);
  if (unsupported.length) {
    const refused = unsupported.flatMap((path) => {
      const reason = refusalReason(path);
      return reason ? [`${path} (would grant ${reason})`] : [];
    });
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `The compose file ${file} uses keys this implementation does not support: ${unsupported.join(', ')}. ` +
        (refused.length
          ? `Refused on purpose, as podman_run offers them neither: ${refused.join(', ')}. `
          : '') +
        'Remove them, then call again. Supported per service: image, build, command, entrypoint, environment, ' +
        'env_file, ports, volumes, tmpfs, depends_on, healthcheck, restart, labels, networks, container_name, ' +
        'profiles, working_dir, user, hostname, extra_hosts, cap_drop, security_opt (no-new-privileges), ' +
        'stop_signal, stop_grace_period, init, read_only, expose, shm_size, mem_limit, cpus, pids_limit, ulimits, ' +
        'deploy.resources.limits (memory, cpus, pids).',
      { details: { file, unsupportedKeys: unsupported } },
    );
  }

  const vars = await variablesFor(dir, options);
  const interpolation: InterpolationResult = { unset: new Set(), errors: [] };
  const resolved = interpolateTree(doc, vars, '', interpolation) as Record<string, unknown>;
  if (interpolation.errors.length) {
    throw invalid(
      file,
      interpolation.errors,
      'Set the variables (environment, .env or variables=), then call again.',
    );
  }
  const warnings = [...interpolation.unset].map((v) => `variable ${v} is not set; it was replaced by ""`);

  const project = projectNameOf(resolved, dirname(file), options.projectName);
  const problems = new Problems();
  if (!isMap(resolved.services) || Object.keys(resolved.services).length === 0) {
    problems.add('services', 'must define at least one service');
  }
  const networks = objects(resolved.networks, 'networks', project, problems);
  networks.default ??= { name: `${project}_default`, labels: projectLabels(project) };
  const volumes = objects(resolved.volumes, 'volumes', project, problems);

  const enabled = new Set(options.profiles ?? (vars.COMPOSE_PROFILES ?? '').split(',').map((p) => p.trim()));
  const services: Record<string, ServiceSpec> = {};
  const disabled: string[] = [];
  const profilesOf: Record<string, string[]> = {};
  for (const [name, raw] of Object.entries(isMap(resolved.services) ? resolved.services : {})) {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
      problems.add(`services.${name}`, 'service names are letters, digits, "_", "." and "-"');
      continue;
    }
    if (!isMap(raw)) {
      problems.add(`services.${name}`, 'must be a map');
      continue;
    }
    const profiles = serviceProfiles(raw.profiles, `services.${name}.profiles`, problems);
    // As in compose: a service without profiles always runs; "*" enables every profile.
    if (profiles.length && !enabled.has('*') && !profiles.some((p) => enabled.has(p))) {
      disabled.push(name);
      profilesOf[name] = profiles;
      continue;
    }
    const spec = await normalizeService(name, raw, {
      project,
      dir,
      vars,
      networks,
      volumes,
      problems,
      bindRoots: options.bindRoots,
    });
    if (spec) services[name] = spec;
  }
  if (disabled.length && disabled.length === Object.keys(resolved.services as object).length) {
    problems.add('services', `every service is behind a profile that is not enabled; pass profiles=`);
  }
  checkDependencies(services, profilesOf, problems);
  checkContainerNames(services, problems);
  // Services that failed to normalize still count as defined, so they do not show up as unknown;
  // dependencies on disabled ones were reported above.
  const defined = Object.keys(isMap(resolved.services) ? resolved.services : {}).filter(
    (name) => !disabled.includes(name),
  );
  const { order, problems: graphProblems } = startOrder(
    Object.fromEntries(
      defined.map((name) => [
        name,
        Object.keys(services[name]?.dependsOn ?? {}).filter((dep) => !disabled.includes(dep)),
      ]),
    ),
  );
  problems.list.push(...graphProblems);
  if (problems.list.length) throw invalid(file, problems.list, 'Fix the file, then call again.');
  return { name: project, file, dir, services, disabled, order, networks, volumes, warnings };
}

/**
 * Only the project name a file implies, for down and ps: they must work even when the file has
 * changed since up, or no longer passes every check.
 */
export async function projectNameFromFile(options: LoadOptions): Promise<string> {
  if (options.projectName) return options.projectName;
  const { file, dir, doc } = await readComposeFile(options);
  const out: InterpolationResult = { unset: new Set(), errors: [] };
  const name = interpolateTree(doc.name, await variablesFor(dir, options), 'name', out);
  if (out.errors.length) throw invalid(file, out.errors, 'Set the variables, or pass project_name.');
  return projectNameOf({ name }, dirname(file));
}

/**
 * The compose file as given (for messages and the default project name), the real folder it lies
 * in (relative paths in it and its .env resolve there) and its parsed content.
 */
async function readComposeFile(
  options: LoadOptions,
): Promise<{ file: string; dir: string; doc: Record<string, unknown> }> {
  const file = composePath(options.file);
  const read = await readHostFile(file, options.bindRoots, COMPOSE_READS, { instead: COMPOSE_INSTEAD });
  return { file, dir: dirname(read.path), doc: parsedCompose(file, read.text) };
}

function parsedCompose(file: string, text: string): Record<string, unknown> {
  const doc = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    throw invalid(
      file,
      doc.errors.map((e) => e.message.split('\n')[0] ?? e.message),
      'Fix the YAML, then call again.',
    );
  }
  const value: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (!isMap(value))
    throw invalid(file, ['the top level must be a map with a services key'], 'Fix the file.');
  return value;
}

/**
 * The .env file next to the compose file, then the server environment's allowed names, then the
 * call's variables. The server's environment holds the operator's keys and tokens, which are not
 * the compose file's to read: only names the operator lists (composeEnv) are, and any other
 * ${VAR} reads as unset, whether the server has it or not.
 */
async function variablesFor(dir: string, options: LoadOptions): Promise<Variables> {
  const dotenv = await readHostFile(join(dir, '.env'), options.bindRoots, `${COMPOSE_READS} (.env)`, {
    instead: COMPOSE_INSTEAD,
    optional: true,
  });
  return Object.assign(
    // No prototype: a variable named like an Object method must read as unset, not as a function.
    Object.create(null) as Variables,
    parseEnvFile(dotenv?.text ?? '').values,
    allowedEnvironment(options.composeEnv),
    options.variables,
  );
}

/** The server environment's variables the operator allows compose files to read. */
export function allowedEnvironment(names: string[]): Record<string, string> {
  return Object.fromEntries(
    names.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])),
  );
}

/** The call's project_name, else the file's `name:`, else the directory's name, as compose does. */
export function projectNameOf(doc: Record<string, unknown>, dir: string, given?: string): string {
  const raw = given ?? scalarText(doc.name) ?? basename(dir);
  const name = given ?? raw.toLowerCase().replace(/[^a-z0-9_-]/g, '');
  if (!PROJECT_NAME_RE.test(name)) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `"${raw}" is not a usable project name: it must be lowercase letters, digits, "_" and "-", starting with a letter or digit. Pass project_name.`,
    );
  }
  return name;
}

function objects(
  v: unknown,
  kind: 'networks' | 'volumes',
  project: string,
  problems: Problems,
): Record<string, ProjectObject> {
  if (v === undefined || v === null) return {};
  if (!isMap(v)) return problems.add(kind, 'must be a map') ?? {};
  const out: Record<string, ProjectObject> = {};
  for (const [key, options] of Object.entries(v)) {
    const opts = isMap(options) ? options : {};
    if (options !== null && !isMap(options)) problems.add(`${kind}.${key}`, 'must be a map or empty');
    const name = opts.name === undefined ? `${project}_${key}` : scalarText(opts.name);
    if (!name || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
      problems.add(`${kind}.${key}.name`, 'must be letters, digits, "_", "." and "-"');
      continue;
    }
    const labels = keyValues(opts.labels, `${kind}.${key}.labels`, problems) ?? {};
    out[key] = {
      name,
      labels: {
        ...Object.fromEntries(Object.entries(labels).map(([k, l]) => [k, l ?? ''])),
        ...projectLabels(project),
      },
      ...(opts.internal === true ? { internal: true } : {}),
    };
  }
  return out;
}

function serviceProfiles(v: unknown, path: string, problems: Problems): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? (stringList(v, path, problems) ?? []) : undefined;
  if (!list?.every((p) => /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(p))) {
    return problems.add(path, 'must be a list of profile names (letters, digits, "_", "." and "-")') ?? [];
  }
  return list;
}

/** profilesOf: the disabled services and their profiles. */
function checkDependencies(
  services: Record<string, ServiceSpec>,
  profilesOf: Record<string, string[]>,
  problems: Problems,
): void {
  for (const service of Object.values(services)) {
    for (const [dep, condition] of Object.entries(service.dependsOn)) {
      const needed = Object.hasOwn(profilesOf, dep) ? profilesOf[dep]! : undefined;
      if (needed) {
        problems.add(
          `services.${service.name}.depends_on.${dep}`,
          `"${dep}" runs only with profile ${needed.join(' or ')}, which is not enabled; pass profiles=["${needed[0]}"] (or set COMPOSE_PROFILES)`,
        );
      }
      const target = services[dep];
      if (condition === 'service_healthy' && target?.healthcheckDisabled) {
        problems.add(
          `services.${service.name}.depends_on.${dep}`,
          `waits for "${dep}" to be healthy, but its healthcheck is disabled`,
        );
      }
    }
  }
}

function checkContainerNames(services: Record<string, ServiceSpec>, problems: Problems): void {
  const owners = new Map<string, string>();
  for (const service of Object.values(services)) {
    const other = owners.get(service.containerName);
    if (other) {
      problems.add(
        `services.${service.name}.container_name`,
        `"${service.containerName}" is also the container name of service "${other}"`,
      );
    }
    owners.set(service.containerName, service.name);
  }
}
