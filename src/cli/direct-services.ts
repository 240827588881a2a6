import { Metrics } from '../api/metrics.js';
import { ServiceManager } from '../api/services/manager.js';
import { TemplateStore } from '../api/templates.js';
import { loadConfig } from '../config/load.js';
import { PodmanConnection } from '../podman/connection.js';
import { createLogger } from '../server/app.js';
import { Redactor } from '../tools/redact.js';

export interface DirectServices {
  manager: ServiceManager;
  close(): Promise<void>;
}

/**
 * The service manager of a `serve`, without the server: http services keep their whole definition
 * in container labels, so listing, status, logs and removal work on Podman with no instance
 * running. It runs one health round, since no monitor keeps health between CLI calls. Templates
 * stay empty: creating needs the instance that health-checks and routes what it creates.
 */
export async function openDirectServices(options: {
  socketPath?: string;
  env: NodeJS.ProcessEnv;
}): Promise<DirectServices> {
  const config = await loadConfig({
    flags: { podman: { socketPath: options.socketPath } },
    env: options.env,
  });
  const log = createLogger('warn');
  const connection = new PodmanConnection({
    socketPath: config.podman.socketPath,
    url: config.podman.url,
    embedded: config.podman.embedded,
    env: options.env,
    log,
  });
  const manager = new ServiceManager({
    config,
    connection,
    log,
    redactor: new Redactor(config.redact),
    metrics: new Metrics(),
    templates: new TemplateStore(),
  });
  try {
    await connection.get();
    await manager.tick();
  } catch (err) {
    await connection.close();
    throw err;
  }
  return { manager, close: () => connection.close() };
}
