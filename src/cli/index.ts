#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { credentialBindings, loadConfig } from '../config/load.js';
import { LOG_LEVELS } from '../config/schema.js';
import { isMcpPodmanError } from '../errors.js';
import { VERSION } from '../version.js';
import { catalogCommands } from './catalog-commands.js';
import { doctorCommand } from './doctor.js';
import { installCommand } from './install.js';
import { serve } from './serve.js';
import { serverCommands } from './server-commands.js';
import { toolTable } from './tool-table.js';

const list = (v: string, prev: string[] = []) => [
  ...prev,
  ...v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];
const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be a whole number');
  return n;
};

const program = new Command()
  .name('mcp-podman')
  .description('Podman for AI agents over the Model Context Protocol')
  .version(VERSION)
  .showHelpAfterError()
  .showSuggestionAfterError();

program
  .command('serve')
  .description('Serve Podman tools over MCP (stdio by default); the command when none is given')
  .addOption(
    new Option('--transport <kind>', 'stdio, http (Streamable HTTP + legacy SSE) or websocket').choices([
      'stdio',
      'http',
      'websocket',
    ]),
  )
  .option('--host <address>', 'address to bind for http/websocket (default 127.0.0.1)')
  .option('--port <port>', 'port for http/websocket (default 8913)', int)
  .option('--socket-path <path>', 'Podman API socket')
  .option('--url <url>', 'Podman API URL (unix:// or tcp://)')
  .option('--no-embedded', 'do not start `podman system service` when no Podman answers')
  .option(
    '--auth-token <token>',
    'bearer token for HTTP/WebSocket (or MCP_PODMAN_AUTH_TOKEN; generated at start when none is given)',
  )
  .option(
    '--unsafe-no-auth',
    'serve HTTP/WebSocket on loopback with no token: any local user can then drive Podman',
  )
  .option('--allowed-hosts <hosts>', 'extra Host header values to accept (comma-separated)', list)
  .option('--allowed-origins <origins>', 'extra Origin values to accept (comma-separated)', list)
  .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices(LOG_LEVELS))
  .option('--config <file>', 'config file (YAML or JSON)')
  .option('--read-only', 'expose only read-only tools')
  .option('--disable-destructive', 'hide destructive tools')
  .option('--toolsets <names>', 'toolsets to expose (comma-separated)', list)
  .option('--tools <names>', 'allow-list of tool names (comma-separated)', list)
  .option('--disable-tools <names>', 'deny-list of tool names (comma-separated)', list)
  .option('--no-redact', 'do not mask secret-looking environment values in results')
  .option(
    '--bind-roots <dirs>',
    'host folders that tools may bind-mount into containers or build from (comma-separated; none by default)',
    list,
  )
  .option('--allow-host-network', "let containers and pods use the host's network (off by default)")
  .option(
    '--registry-credential <ref=hosts>',
    'registries a push credential may go to: MCP_PODMAN_REGISTRY_X=quay.io,ghcr.io or secret:<name>=host; repeatable',
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .option(
    '--compose-env <names>',
    'server environment variables compose files may interpolate (comma-separated; none by default)',
    list,
  )
  .option(
    '--catalog <file>',
    'add a gateway catalog file (YAML/JSON, or an MCP registry server.json); repeatable',
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .option('--no-builtin-catalog', 'leave the built-in catalog out')
  .option('--gateway-id <id>', 'name of this gateway in container labels (default "default")')
  .option('--base-image <image>', 'base image for npm-package catalog entries')
  .option('--idle-timeout <ms>', 'stop a mounted server after this many ms without calls (0: never)', int)
  .option(
    '--registry-stall <ms>',
    'end a pull, push or build with TIMEOUT after this many ms without word from the registry (default 120000)',
    int,
  )
  .action(async (opts) => {
    const flags = {
      transport: opts.transport,
      host: opts.host,
      port: opts.port,
      authToken: opts.authToken,
      unsafeNoAuth: opts.unsafeNoAuth,
      allowedHosts: opts.allowedHosts,
      allowedOrigins: opts.allowedOrigins,
      logLevel: opts.logLevel,
      podman: {
        socketPath: opts.socketPath,
        url: opts.url,
        embedded: opts.embedded === false ? false : undefined,
      },
      readOnly: opts.readOnly,
      disableDestructive: opts.disableDestructive,
      toolsets: opts.toolsets,
      tools: opts.tools,
      disableTools: opts.disableTools,
      redact: opts.redact === false ? false : undefined,
      bindRoots: opts.bindRoots,
      allowHostNetwork: opts.allowHostNetwork,
      registryCredentials: credentialBindings(opts.registryCredential?.join(';')),
      composeEnv: opts.composeEnv,
      gateway: {
        catalogs: opts.catalog,
        builtinCatalog: opts.builtinCatalog === false ? false : undefined,
        id: opts.gatewayId,
        baseImage: opts.baseImage,
        idleTimeoutMs: opts.idleTimeout,
      },
      limits: { registryStallMs: opts.registryStall },
    };
    const config = await loadConfig({ file: opts.config, flags, env: process.env });
    await serve(config);
  });

program
  .command('tools')
  .description('Print the tool table (Markdown) or the tool definitions (--json)')
  .option('--json', 'print JSON')
  .action((opts) => {
    process.stdout.write(toolTable(opts.json ? 'json' : 'markdown'));
  });

/**
 * `serve` is what runs when no command is named (`mcp-podman`, `mcp-podman --transport http`).
 * It is inserted here rather than marked as commander's default command: a default command would
 * swallow a mistyped one (`mcp-podman serv` said "too many arguments for 'serve'"), where this way
 * commander says "unknown command 'serv'" and suggests `serve`.
 */
function withDefaultCommand(argv: string[]): string[] {
  const first = argv[2];
  const programFlags = ['-h', '--help', '-V', '--version'];
  if (first === undefined || (first.startsWith('-') && !programFlags.includes(first)))
    return [...argv.slice(0, 2), 'serve', ...argv.slice(2)];
  return argv;
}

catalogCommands(program);
serverCommands(program);
installCommand(program);
doctorCommand(program);

program.parseAsync(withDefaultCommand(process.argv)).catch((err: unknown) => {
  if (isMcpPodmanError(err)) {
    process.stderr.write(`mcp-podman: ${err.code}: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`mcp-podman: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
