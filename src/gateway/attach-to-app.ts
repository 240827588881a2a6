import type { App } from '../server/app.js';
import { localToolEntry } from '../server/local-tools.js';
import { createPolicy } from '../server/policy.js';
import { loadCatalog } from './catalog.js';
import { Gateway } from './gateway.js';
import { registryTools } from './tools.js';
import { existingUserCatalog } from './user-catalog.js';

/**
 * Adds the gateway to an app unless the operator's toolset selection leaves the "registry" side
 * out: loads the catalogs (failing fast on a bad entry), registers the registry_* tools, and
 * removes every mount container when the app closes. Leftovers of a crashed earlier instance are
 * swept in the background once Podman answers.
 */
export async function attachGateway(app: App): Promise<Gateway | undefined> {
  const { config } = app;
  if (config.toolsets && !config.toolsets.includes('registry') && !config.toolsets.includes('all'))
    return undefined;
  // The user catalog (`mcp-podman catalog import`) sits between the built-in and --catalog files.
  const files = [...existingUserCatalog(), ...config.gateway.catalogs];
  const catalog = await loadCatalog({ files, builtin: config.gateway.builtinCatalog });
  const policy = createPolicy(config);
  const gateway = new Gateway({
    config,
    catalog,
    connection: app.connection,
    tools: app.tools,
    redactor: app.redactor,
    log: app.log,
    policy,
  });
  const deps = {
    connection: app.connection,
    config,
    log: app.log,
    redactor: app.redactor,
    shutdown: app.shutdown.signal,
    services: { gateway: () => gateway },
  };
  for (const def of registryTools) {
    const hidden = policy(def);
    if (hidden) app.tools.hide(def.name, hidden);
    else app.tools.add(localToolEntry(def, deps));
  }
  app.gateway = gateway;
  app.onClose(() => gateway.close());
  gateway
    .sweepOrphans()
    .catch((err: Error) => app.log.debug({ err: err.message }, 'orphan sweep skipped'))
    .then(() => gateway.warmUp());
  return gateway;
}
