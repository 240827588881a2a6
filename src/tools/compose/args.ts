import { z } from 'zod';
import type { Config } from '../../config/schema.js';
import type { Redactor } from '../redact.js';
import { looksSecret } from '../redact.js';
import { envKey } from '../schemas.js';
import { allowedEnvironment, type LoadOptions } from './load.js';
import { PROJECT_NAME_RE } from './model.js';

/** Arguments the compose tools share. */

export const composeFile = z
  .string()
  .min(1)
  .max(4096)
  .refine((v) => !v.includes('\0'), 'must be a file path')
  .describe(
    "Path of the compose file under the server's bind roots: absolute, or relative to the server's working " +
      `directory. A .env file next to it supplies \${VAR} values.`,
  );

export const projectName = z
  .string()
  .max(63)
  .regex(PROJECT_NAME_RE, 'must be lowercase letters, digits, "_" and "-", starting with a letter or digit')
  .describe("Project name (default: the file's top-level name, else its directory's name)");

export const variables = z
  .record(envKey, z.string().max(32 * 1024))
  .optional()
  .describe(
    `Values for \${VAR} interpolation; they win over the .env file and the server environment names the operator allows`,
  );

export const profiles = z
  .array(z.string().regex(/^(?:\*|[a-zA-Z0-9][a-zA-Z0-9_.-]*)$/, 'must be a profile name or "*"'))
  .max(64)
  .optional()
  .describe(
    'Profiles to enable ("*": all); services with profiles run only when one is enabled. Default: COMPOSE_PROFILES ' +
      '(comma-separated) from variables, the allowed environment or .env, else none',
  );

export const stopTimeout = z
  .number()
  .int()
  .min(0)
  .max(600)
  .default(10)
  .describe('Seconds a container gets to stop before it is killed (default 10)');

/**
 * The loader's options from a call's arguments. Values of secret-looking variables (DB_PASSWORD...),
 * given or from the allowed environment, are remembered, so they are scrubbed from anything the
 * call returns or logs.
 */
export function loadOptionsOf(
  args: { file?: string; project_name?: string; variables?: Record<string, string>; profiles?: string[] },
  redactor: Redactor,
  config: Pick<Config, 'bindRoots' | 'composeEnv'>,
): LoadOptions {
  const values = { ...allowedEnvironment(config.composeEnv), ...args.variables };
  for (const [key, value] of Object.entries(values)) if (looksSecret(key)) redactor.remember(value);
  return {
    file: args.file ?? '',
    projectName: args.project_name,
    variables: args.variables,
    bindRoots: config.bindRoots,
    composeEnv: config.composeEnv,
    ...(args.profiles ? { profiles: args.profiles } : {}),
  };
}
