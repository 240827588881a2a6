import { type Command, InvalidArgumentError } from 'commander';
import type { LogLine } from '../api/services/logs.js';
import type { ServiceManager } from '../api/services/manager.js';
import { replicasUp, type Service } from '../api/services/model.js';
import { McpPodmanError } from '../errors.js';
import { table } from '../tools/render.js';
import { openDirectServices } from './direct-services.js';
import { DEFAULT_INSTANCE_URL, ManagementClient } from './management-client.js';
import { note, print } from './output.js';
import { followServerEvents } from './server-events.js';

interface TargetFlags {
  url?: string;
  token?: string;
  socketPath?: string;
  json?: boolean;
}

type Target = { kind: 'api'; api: ManagementClient } | { kind: 'direct'; manager: ServiceManager };

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number >= 0');
  return n;
};

/** `mcp-podman server ...`: services of a running instance, or (without one) straight from Podman. */
export function serverCommands(program: Command): void {
  const server = program
    .command('server')
    .description(
      'Manage services: through a running instance (--url), or directly in Podman when none answers',
    );
  const withTarget = (cmd: Command) =>
    cmd
      .option('--url <url>', `mcp-podman instance (or MCP_PODMAN_URL; default ${DEFAULT_INSTANCE_URL})`)
      .option('--token <token>', 'bearer token of the instance (or MCP_PODMAN_AUTH_TOKEN)')
      .option('--socket-path <path>', 'Podman API socket for direct mode (or CONTAINER_HOST)')
      .option('--json', 'print JSON');

  withTarget(server.command('ls'))
    .description('List services')
    .action(async (flags: TargetFlags) => {
      const services = await withTargetDo(flags, async (t) =>
        t.kind === 'api'
          ? (await t.api.json<{ services: Service[] }>('GET', '/containers')).services
          : t.manager.list(),
      );
      print(flags, { services }, () => (services.length === 0 ? 'No services.' : servicesTable(services)));
    });

  withTarget(server.command('status').argument('<name>', 'service name'))
    .description('Show a service and its replicas')
    .action(async (name: string, flags: TargetFlags) => {
      const service = await withTargetDo(flags, (t) =>
        t.kind === 'api'
          ? t.api.json<Service>('GET', `/containers/${enc(name)}/status`)
          : t.manager.get(name),
      );
      print(flags, service, () => serviceDetail(service));
    });

  withTarget(server.command('rm').argument('<name>', 'service name'))
    .description('Remove a service: its containers (or gateway mount) and its secrets')
    .action(async (name: string, flags: TargetFlags) => {
      await withTargetDo(flags, async (t) => {
        if (t.kind === 'direct') await t.manager.remove(name);
        else await t.api.json('DELETE', `/containers/${enc(name)}`);
      });
      print(flags, { removed: name }, () => `Removed service "${name}".`);
    });

  withTarget(server.command('logs').argument('<name>', 'service name'))
    .description('Print the logs of every replica; -f follows them until Ctrl-C')
    .option('--tail <n>', 'lines per replica from the end', positiveInt, 100)
    .option('--since <time>', 'only lines since this time (RFC 3339 or Unix seconds)')
    .option('-f, --follow', 'keep streaming new lines')
    .action(async (name: string, flags: TargetFlags & { tail: number; since?: string; follow?: boolean }) => {
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      const onLine = (l: LogLine) =>
        process.stdout.write(flags.json ? `${JSON.stringify(l)}\n` : `${l.replica} | ${l.line}\n`);
      const query = { tail: flags.tail, since: flags.since };
      await withTargetDo(flags, async (t) => {
        if (t.kind === 'direct') {
          if (flags.follow) return t.manager.followLogs(name, query, stop.signal, onLine);
          const got = await t.manager.logs(name, query, stop.signal);
          for (const l of got.lines) onLine(l);
          if (got.truncated) note('(more lines than shown; narrow with --tail or --since)');
          return;
        }
        const params = new URLSearchParams({
          tail: String(flags.tail),
          follow: String(Boolean(flags.follow)),
        });
        if (flags.since) params.set('since', flags.since);
        const path = `/containers/${enc(name)}/logs?${params}`;
        if (!flags.follow) {
          for (const l of (await t.api.json<{ lines: LogLine[] }>('GET', path)).lines) onLine(l);
          return;
        }
        await followServerEvents(await t.api.send('GET', path, { signal: stop.signal }), {
          signal: stop.signal,
          onEvent: (event, data) => event === 'log' && onLine(data as LogLine),
        });
      });
    });

  withTarget(server.command('add').argument('<name>', 'service name (also its host name <name>.localhost)'))
    .description('Add a service from a template (--template) or an image (--image with --port)')
    .option('--template <name>', 'template or catalog entry (see `mcp-podman catalog ls`)')
    .option('--image <image>', 'image of a plain HTTP service')
    .option('--port <port>', 'port the service listens on in the container (with --image)', positiveInt)
    .option('-e, --env <KEY=VALUE>', 'environment variable; repeatable', collectEnv, {})
    .option('--replicas <n>', 'containers to run (stdio MCP servers: 1)', positiveInt)
    .option('--health-path <path>', 'path polled for health (with --image)')
    .option('--memory <size>', 'memory limit, e.g. 256m (with --image)')
    .option('--cpus <n>', 'CPU limit in cores (with --image)', Number)
    .action(async (name: string, flags: TargetFlags & AddFlags) => {
      const body = addRequest(name, flags);
      const service = await withTargetDo(flags, (t) => {
        if (t.kind === 'direct') {
          throw new McpPodmanError(
            'UNAVAILABLE',
            'Adding a service needs a running instance: a stdio MCP server lives inside it, and an HTTP service is ' +
              'created and health-checked by it. Start `mcp-podman serve --transport http` (or pass --url), then add again.',
          );
        }
        return withProgress(t.api, name, () =>
          flags.template
            ? t.api.json<Service>('POST', '/containers', body)
            : t.api.json<Service>('POST', `/containers/${enc(name)}/start`, body),
        );
      });
      print(flags, service, () => serviceDetail(service));
    });
}

interface AddFlags {
  template?: string;
  image?: string;
  port?: number;
  env: Record<string, string>;
  replicas?: number;
  healthPath?: string;
  memory?: string;
  cpus?: number;
}

function collectEnv(value: string, prev: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('must be KEY=VALUE');
  return { ...prev, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function addRequest(name: string, flags: AddFlags): Record<string, unknown> {
  const environment = Object.keys(flags.env).length > 0 ? flags.env : undefined;
  if (flags.template && !flags.image) {
    return { service_name: name, template: flags.template, environment, replicas: flags.replicas };
  }
  if (flags.image && flags.port && !flags.template) {
    return {
      image: flags.image,
      port: flags.port,
      environment,
      replicas: flags.replicas,
      health_check_path: flags.healthPath,
      memory_limit: flags.memory,
      cpu_limit: flags.cpus,
    };
  }
  throw new McpPodmanError('INVALID_PARAMS', 'Give either --template NAME, or --image IMAGE with --port N.');
}

/** Reports the service's state on stderr while the instance pulls, builds and starts it. */
async function withProgress<T>(api: ManagementClient, name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  let last = '';
  const tick = setInterval(() => {
    void api
      .json<Service>('GET', `/containers/${enc(name)}/status`)
      .then((s) => {
        return `${s.state} (${replicasUp(s)}/${s.replicas_desired} replicas up)`;
      })
      .catch(() => 'pulling or building the image, creating containers')
      .then((what) => {
        if (what === last) return;
        last = what;
        note(`${name}: ${what} [${Math.round((Date.now() - started) / 1000)}s]`);
      });
  }, 1000);
  try {
    return await work();
  } finally {
    clearInterval(tick);
  }
}

async function withTargetDo<T>(flags: TargetFlags, work: (t: Target) => Promise<T>): Promise<T> {
  const url = flags.url ?? process.env.MCP_PODMAN_URL ?? DEFAULT_INSTANCE_URL;
  const api = new ManagementClient({ url, token: flags.token ?? process.env.MCP_PODMAN_AUTH_TOKEN });
  if (await api.answers()) return work({ kind: 'api', api });
  note(`No mcp-podman instance answers at ${api.url}; acting on Podman directly.`);
  const direct = await openDirectServices({ socketPath: flags.socketPath, env: process.env });
  try {
    return await work({ kind: 'direct', manager: direct.manager });
  } finally {
    await direct.close();
  }
}

function enc(name: string): string {
  return encodeURIComponent(name);
}

function servicesTable(services: Service[]): string {
  return table(
    ['NAME', 'KIND', 'TEMPLATE', 'STATE', 'REPLICAS', 'ROUTE'],
    services.map((s) => [
      s.name,
      s.kind,
      s.template,
      s.state,
      `${replicasUp(s)}/${s.replicas_desired}`,
      s.routes.mcp ?? s.routes.host,
    ]),
  );
}

function serviceDetail(s: Service): string {
  const head = [
    `${s.name}: ${s.state} (${s.kind}, template ${s.template}, created ${s.created_at})`,
    ...(s.routes.host ? [`host:  http://${s.routes.host}`] : []),
    ...(s.routes.mcp ? [`mcp:   ${s.routes.mcp}`] : []),
    ...(s.tools?.length ? [`tools: ${s.tools.join(', ')}`] : []),
  ];
  const replicas = table(
    ['REPLICA', 'ID', 'STATE', 'HEALTH', 'HOST PORT', 'RESTARTS', 'STARTED'],
    s.replicas.map((r) => [r.name, r.id, r.state, r.health, r.host_port, r.restarts, r.started_at]),
  );
  return `${head.join('\n')}\n\n${replicas}`;
}
