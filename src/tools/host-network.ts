import { McpPodmanError } from '../errors.js';

/**
 * The host's network namespace puts a container on the host's loopback, next to services that
 * trust it (this server's own API, a Podman TCP socket, local databases). So it is off unless the
 * operator allows it (--allow-host-network), and builds then run their RUN steps in a private
 * network namespace instead of Podman's default for API builds, which is the host's.
 */
export function assertNetworkAllowed(network: string | undefined, allowed: boolean, where: string): void {
  if (network === 'host' && !allowed) {
    throw new McpPodmanError(
      'FORBIDDEN',
      `${where} asks for the host's network, which this server does not give containers. Use bridge (the ` +
        'default) or a podman_network_create network and publish ports, or ask the operator to allow it with --allow-host-network.',
    );
  }
}

/** The network for a build's RUN steps: the caller's choice (if allowed), else private unless host is allowed. */
export function buildNetwork(network: string | undefined, allowed: boolean): string | undefined {
  assertNetworkAllowed(network, allowed, 'This build');
  return network ?? (allowed ? undefined : 'private');
}
