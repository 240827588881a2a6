import { z } from 'zod';

/**
 * The one configuration schema. Defaults live here and nowhere else. A config file, the
 * environment and CLI flags are merged (in that order of precedence, lowest first) and parsed once.
 */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const ConfigSchema = z
  .object({
    transport: z.enum(['stdio', 'http', 'websocket']).default('stdio').describe('How MCP clients connect'),
    host: z.string().min(1).default('127.0.0.1').describe('Address the HTTP/WebSocket server binds to'),
    port: z.number().int().min(0).max(65535).default(8913).describe('Port of the HTTP/WebSocket server'),
    authToken: z
      .string()
      .min(16, 'must be at least 16 characters')
      .optional()
      .describe(
        'Bearer token required on every HTTP/WebSocket endpoint but /health (env MCP_PODMAN_AUTH_TOKEN); without one, a token is generated at start',
      ),
    unsafeNoAuth: z
      .boolean()
      .default(false)
      .describe(
        'Serve HTTP/WebSocket on loopback with no token at all: every local user can then drive Podman (env MCP_PODMAN_UNSAFE_NO_AUTH; --unsafe-no-auth)',
      ),
    allowedHosts: z.array(z.string().min(1)).default([]).describe('Extra Host header values to accept'),
    allowedOrigins: z.array(z.string().min(1)).default([]).describe('Extra Origin values to accept (CORS)'),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    sessionIdleTimeoutMs: z
      .number()
      .int()
      .min(100)
      .default(30 * 60_000)
      .describe('Close a Streamable HTTP session no request has named for this long'),
    podman: z
      .object({
        socketPath: z.string().min(1).optional().describe('Path of the Podman API socket'),
        url: z.string().min(1).optional().describe('unix:// or tcp:// URL of the Podman API'),
        embedded: z
          .boolean()
          .default(true)
          .describe('Start `podman system service` on a private socket when no Podman answers'),
      })
      .strict()
      .default({ embedded: true }),
    readOnly: z.boolean().default(false).describe('Expose only read-only tools'),
    disableDestructive: z.boolean().default(false).describe('Hide destructive tools'),
    toolsets: z.array(z.string().min(1)).optional().describe('Toolsets to expose (default: all)'),
    tools: z.array(z.string().min(1)).optional().describe('Allow-list of tool names'),
    disableTools: z.array(z.string().min(1)).default([]).describe('Deny-list of tool names'),
    redact: z.boolean().default(true).describe('Mask secret-looking environment values in results'),
    allowHostNetwork: z
      .boolean()
      .default(false)
      .describe(
        "Let containers and pods use the host's network, and builds default to it (env MCP_PODMAN_ALLOW_HOST_NETWORK; --allow-host-network); off by default",
      ),
    bindRoots: z
      .array(z.string().startsWith('/', 'must be an absolute path'))
      .default([])
      .describe(
        'Host folders that tools and API requests may bind-mount into containers or build images from (env MCP_PODMAN_BIND_ROOTS, comma-separated; --bind-roots); none by default',
      ),
    registryCredentials: z
      .record(
        z
          .string()
          .regex(
            /^(MCP_PODMAN_REGISTRY_[A-Z0-9_]+|secret:[a-zA-Z0-9][a-zA-Z0-9_.-]*)$/,
            'must be an MCP_PODMAN_REGISTRY_* variable name or "secret:<Podman secret name>"',
          ),
        z
          .array(
            z
              .string()
              .regex(
                /^(?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:]+\])(?::\d+)?$/,
                'must be a registry host such as "quay.io" or "localhost:5000"',
              ),
          )
          .min(1),
      )
      .default({})
      .describe(
        'Registries each push credential may be sent to: {"MCP_PODMAN_REGISTRY_X": ["quay.io"], "secret:name": [...]} (env MCP_PODMAN_CREDENTIAL_REGISTRIES as REF=host,host;REF=host; --registry-credential); a credential with no binding is sent nowhere',
      ),
    composeEnv: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
          .refine((name) => !name.startsWith('MCP_PODMAN_'), "must not be one of the server's own settings"),
      )
      .default([])
      .describe(
        `Names of the server's environment variables that compose files may interpolate as \${VAR} (env MCP_PODMAN_COMPOSE_ENV, comma-separated; --compose-env); none by default`,
      ),
    gateway: z
      .object({
        id: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'must be lowercase letters, digits and "-"')
          .default('default')
          .describe(
            'Names this gateway in container labels; a restart with the same id cleans up after a crash',
          ),
        catalogs: z
          .array(z.string().min(1))
          .default([])
          .describe('Catalog files (YAML/JSON or server.json) to add'),
        builtinCatalog: z.boolean().default(true).describe('Include the built-in catalog'),
        baseImage: z
          .string()
          .min(1)
          .default('docker.io/library/node:22-alpine')
          .describe('Base image that npm-package entries are built on'),
        initTimeoutMs: z
          .number()
          .int()
          .min(500)
          .default(30_000)
          .describe('Cap on starting and initializing a mount'),
        callTimeoutMs: z
          .number()
          .int()
          .min(100)
          .default(120_000)
          .describe('Cap on one proxied call (reset by progress)'),
        idleTimeoutMs: z
          .number()
          .int()
          .min(0)
          .default(15 * 60_000)
          .describe('Stop a mount after this long without calls (0: never); it restarts on the next call'),
        maxRestarts: z
          .number()
          .int()
          .min(0)
          .default(5)
          .describe('Restarts within a minute before a mount is given up'),
        restartBaseMs: z
          .number()
          .int()
          .min(10)
          .default(500)
          .describe('First restart delay; doubles each time'),
        restartMaxMs: z.number().int().min(10).default(30_000).describe('Longest restart delay'),
        warm: z
          .record(z.string(), z.number().int().min(0).max(16))
          .default({})
          .describe('Entry id -> number of pre-started containers kept ready for a fast registry_add'),
      })
      .strict()
      .prefault({}),
    api: z
      .object({
        templatesDir: z
          .string()
          .min(1)
          .optional()
          .describe('Folder of service template JSON files (env MCP_PODMAN_TEMPLATES)'),
        maxContainers: z
          .number()
          .int()
          .min(0)
          .default(50)
          .describe('Cap on managed service containers (env MAX_CONTAINERS)'),
        defaultMemoryLimit: z
          .string()
          .regex(/^\d+[kmg]?$/i, 'must be bytes or a size such as 512m')
          .default('512m')
          .describe(
            'Memory limit of a service replica unless the template sets one (env DEFAULT_MEMORY_LIMIT)',
          ),
        defaultCpuLimit: z
          .number()
          .min(0.01)
          .max(64)
          .default(1)
          .describe(
            'CPU limit in cores of a service replica unless the template sets one (env DEFAULT_CPU_LIMIT)',
          ),
        network: z
          .string()
          .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, 'must be a network name')
          .optional()
          .describe('Network http services join; created if missing (env MCP_NETWORK)'),
        healthCheckIntervalSec: z
          .number()
          .min(0.2)
          .max(3600)
          .default(30)
          .describe('Seconds between health checks of service replicas (env HEALTH_CHECK_INTERVAL)'),
        corsOrigins: z
          .array(z.string().min(1))
          .default([])
          .describe('Origins that get CORS headers on the HTTP API (env CORS_ORIGINS, comma-separated)'),
        enableMetrics: z.boolean().default(true).describe('Serve /metrics (env ENABLE_METRICS)'),
        enableAuth: z
          .boolean()
          .default(false)
          .describe(
            'Require a token the operator configured: refuses to start without one, and refuses unsafeNoAuth (env ENABLE_AUTH)',
          ),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        outputBytes: z
          .number()
          .int()
          .min(1024)
          .default(64 * 1024)
          .describe('Cap on logs and exec output a call returns'),
        followMs: z
          .number()
          .int()
          .min(100)
          .max(120_000)
          .default(5000)
          .describe('How long a log follow collects'),
        execTimeoutMs: z
          .number()
          .int()
          .min(100)
          .default(60_000)
          .describe('Cap on how long podman_exec waits'),
        runWaitMs: z
          .number()
          .int()
          .min(100)
          .default(120_000)
          .describe('Cap on how long podman_run detach=false waits'),
        registryStallMs: z
          .number()
          .int()
          .min(1000)
          .default(120_000)
          .describe(
            'End a pull, push or build with TIMEOUT when Podman, waiting on a registry, reports nothing for this long (env MCP_PODMAN_REGISTRY_STALL_MS; --registry-stall)',
          ),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
