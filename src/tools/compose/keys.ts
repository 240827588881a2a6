/**
 * The subset of the compose specification this implementation runs. A key outside it is refused up
 * front with its path: silently ignoring `privileged` or `deploy` would run something other than
 * what the file says.
 */

/** true: a leaf (any value); FREE: a map whose keys the user chooses; an object: nested known keys. */
const FREE = 'free';
type KeyTree = { [key: string]: true | typeof FREE | KeyTree };

const SERVICE: KeyTree = {
  image: true,
  build: { context: true, dockerfile: true, args: FREE },
  command: true,
  entrypoint: true,
  environment: FREE,
  env_file: true,
  ports: true,
  volumes: true,
  depends_on: { '*': { condition: true } },
  healthcheck: {
    test: true,
    interval: true,
    timeout: true,
    retries: true,
    start_period: true,
    disable: true,
  },
  restart: true,
  labels: FREE,
  networks: { '*': { aliases: true } },
  container_name: true,
  profiles: true,
  working_dir: true,
  user: true,
  hostname: true,
  tmpfs: true,
  extra_hosts: true,
  cap_drop: true,
  security_opt: true,
  stop_signal: true,
  stop_grace_period: true,
  init: true,
  read_only: true,
  expose: true,
  shm_size: true,
  mem_limit: true,
  cpus: true,
  pids_limit: true,
  ulimits: FREE,
  deploy: { resources: { limits: { memory: true, cpus: true, pids: true } } },
};

/**
 * Keys refused on purpose, not merely unimplemented: each gives a container more than podman_run
 * can, so compose must not become the way around it.
 */
const REFUSED: Record<string, string> = {
  privileged: 'full host privileges',
  cap_add: 'extra capabilities',
  network_mode: 'another namespace (host, container:...)',
  pid: 'another PID namespace',
  ipc: 'another IPC namespace',
  uts: 'another UTS namespace',
  userns_mode: 'another user namespace',
  cgroup: 'the host cgroup namespace',
  cgroup_parent: 'a chosen cgroup',
  devices: 'host devices',
  device_cgroup_rules: 'device access',
  sysctls: 'kernel parameters',
};

/** Why a refused service key (services.web.privileged) is refused; undefined for other keys. */
export function refusalReason(path: string): string | undefined {
  const m = /^services\.[^.]+\.([^.]+)$/.exec(path);
  return m && Object.hasOwn(REFUSED, m[1]!) ? REFUSED[m[1]!] : undefined;
}

const TOP: KeyTree = {
  version: true,
  name: true,
  services: { '*': SERVICE },
  volumes: { '*': { name: true, labels: FREE } },
  networks: { '*': { name: true, labels: FREE, internal: true } },
};

/** Paths (services.web.privileged) of every key the implementation does not support. */
export function unsupportedKeys(doc: Record<string, unknown>): string[] {
  const found: string[] = [];
  walk(doc, TOP, '', found);
  return found;
}

function walk(node: unknown, tree: KeyTree, path: string, found: string[]): void {
  // Lists and scalars are checked by the normalizer; only maps have keys to judge here.
  if (!node || typeof node !== 'object' || Array.isArray(node)) return;
  for (const [key, value] of Object.entries(node)) {
    const here = path ? `${path}.${key}` : key;
    // Extension fields (x-...) exist to hold anchors for reuse; compose ignores them too.
    if (key.startsWith('x-') && (tree === TOP || tree === SERVICE)) continue;
    const rule = tree[key] ?? tree['*'];
    if (rule === undefined) found.push(here);
    else if (rule !== true && rule !== FREE) walk(value, rule, here, found);
  }
}
