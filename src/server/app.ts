import pino, { type Logger } from 'pino';
import { Activity } from '../api/activity.js';
import { Metrics } from '../api/metrics.js';
import type { ServiceManager } from '../api/services/manager.js';
import type { Config } from '../config/schema.js';
import { ToolRegistry } from '../core/tools.js';
import type { Gateway } from '../gateway/gateway.js';
import { PodmanConnection } from '../podman/connection.js';
import { podmanTools } from '../tools/index.js';
import { Redactor } from '../tools/redact.js';
import type { ToolDef } from '../tools/types.js';
import { localToolEntry } from './local-tools.js';
import { createPolicy } from './policy.js';

/** Everything one mcp-podman process shares across sessions and transports. */
export interface App {
  config: Config;
  log: Logger;
  connection: PodmanConnection;
  redactor: Redactor;
  tools: ToolRegistry;
  metrics: Metrics;
  /** The gateway for containerized MCP servers, when the registry side is enabled. */
  gateway?: Gateway;
  /** The last tool calls and errors, for the management API. */
  activity: Activity;
  /** Services of the management plane, when the HTTP transport serves it. */
  services?: ServiceManager;
  /** Aborted on shutdown: in-flight calls end, streams close. */
  shutdown: AbortController;
  /** Cleanup steps run in reverse order by close(). */
  onClose(step: () => Promise<void> | void): void;
  close(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Tool definitions to serve (default: every built-in Podman tool). */
  tools?: ToolDef[];
}

/** Logs go to stderr, never stdout: stdout belongs to the stdio transport. */
export function createLogger(level: Config['logLevel']): Logger {
  return pino(
    {
      level,
      base: { name: 'mcp-podman' },
      redact: {
        paths: ['*.authToken', '*.password', '*.value', 'authorization', '*.headers.authorization'],
        censor: '********',
      },
    },
    pino.destination(2),
  );
}

export function createApp(options: AppOptions): App {
  const { config } = options;
  const log = options.log ?? createLogger(config.logLevel);
  const connection = new PodmanConnection({
    socketPath: config.podman.socketPath,
    url: config.podman.url,
    embedded: config.podman.embedded,
    env: options.env ?? process.env,
    log,
  });
  const redactor = new Redactor(config.redact);
  const tools = new ToolRegistry();
  const metrics = new Metrics();
  const shutdown = new AbortController();
  const policy = createPolicy(config);
  const deps = { connection, config, log, redactor, shutdown: shutdown.signal };
  for (const def of options.tools ?? podmanTools) {
    const hidden = policy(def);
    if (hidden) tools.hide(def.name, hidden);
    else tools.add(localToolEntry(def, deps));
  }
  metrics.registeredTools.set(tools.size);
  tools.on('changed', () => metrics.registeredTools.set(tools.size));

  const steps: (() => Promise<void> | void)[] = [() => connection.close()];
  let closing: Promise<void> | undefined;
  return {
    config,
    log,
    connection,
    redactor,
    tools,
    metrics,
    activity: new Activity(),
    shutdown,
    onClose: (step) => steps.push(step),
    close() {
      closing ??= (async () => {
        shutdown.abort();
        for (const step of steps.reverse()) {
          try {
            await step();
          } catch (err) {
            log.warn({ err }, 'cleanup step failed');
          }
        }
      })();
      return closing;
    },
  };
}
