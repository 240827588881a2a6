import { McpPodmanError } from '../errors.js';

/**
 * Server-held registry credentials go only to the registries the operator bound them to
 * (config registryCredentials): an agent that names another destination must not get the
 * operator's password sent there.
 */

/** A credential reference as the config binds it: the env variable's name, or "secret:<name>". */
export function credentialKey(creds: { passwordEnv?: string; passwordSecret?: string }): string {
  return creds.passwordEnv ?? `secret:${creds.passwordSecret}`;
}

/**
 * The registry host an image reference goes to, as Podman resolves it: the first path component
 * is a registry when it holds "." or ":", is "localhost" or has upper case (the rule of Podman's
 * reference parser); anything else is a Docker Hub name. Compared in lower case, docker.io's
 * aliases folded into it and HTTPS's own port 443 dropped, so one binding covers each spelling.
 */
export function registryHost(ref: string): string {
  return normalizeRegistry(domainOf(ref) ?? 'docker.io');
}

function domainOf(ref: string): string | undefined {
  const slash = ref.indexOf('/');
  if (slash < 0) return undefined;
  const first = ref.slice(0, slash);
  return /[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase() ? first : undefined;
}

export function normalizeRegistry(host: string): string {
  const lower = host.toLowerCase().replace(/:443$/, '');
  return lower === 'index.docker.io' || lower === 'registry-1.docker.io' ? 'docker.io' : lower;
}

/**
 * Where a push with credentials goes. Without a destination Podman pushes to the local image's
 * resolved name, which a short name or an id does not tell; so that case needs a destination.
 */
export function credentialedDestination(image: string, destination: string | undefined): string {
  if (destination) return destination;
  if (domainOf(image)) return image;
  throw new McpPodmanError(
    'INVALID_PARAMS',
    `Pushing "${image}" with credentials needs a destination that names the registry, e.g. "registry.example.com/team/app:1.0".`,
  );
}

/**
 * Refuses a push whose credentials are not bound to the destination's registry, and one that
 * would send them without TLS to anything but this machine: over plain HTTP (or an unverified
 * certificate) whoever is on the way, or answers for the name, reads the password.
 */
export function assertCredentialBound(options: {
  creds: { passwordEnv?: string; passwordSecret?: string };
  destination: string;
  bindings: Record<string, string[]>;
  tlsVerify: boolean;
}): void {
  const key = credentialKey(options.creds);
  const host = registryHost(options.destination);
  const allowed = (options.bindings[key] ?? []).map(normalizeRegistry);
  if (allowed.includes(host)) {
    if (options.tlsVerify || isLoopback(host)) return;
    throw new McpPodmanError(
      'FORBIDDEN',
      `The credential ${key} is not sent with tlsVerify=false to ${host}: without a verified certificate ` +
        'anyone on the way could read it. Push with tlsVerify=true, or without credentials; plain HTTP ' +
        'with credentials is for a registry on this machine (localhost, 127.0.0.0/8, [::1]) only.',
      { details: { credential: key, registry: host } },
    );
  }
  const how =
    'The operator binds credentials to registries with registryCredentials in the config file, ' +
    'MCP_PODMAN_CREDENTIAL_REGISTRIES or --registry-credential.';
  throw new McpPodmanError(
    'FORBIDDEN',
    allowed.length
      ? `The credential ${key} is for ${allowed.join(', ')}, not for ${host} (where ${options.destination} goes). ` +
          `Push to a registry it is bound to, or leave the credentials out. ${how}`
      : `The credential ${key} is not bound to any registry, so it is sent nowhere. ${how}`,
    { details: { credential: key, registry: host, allowed } },
  );
}

/** A registry on this machine: localhost, 127.0.0.0/8 or [::1], with any port. */
function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name);
}
