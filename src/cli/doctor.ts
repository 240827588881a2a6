import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import {
  checkBaseImage,
  checkBindRoots,
  checkHttpAuth,
  checkPodman,
  checkQuadlet,
  checkRegistry,
  checkRlimits,
  checkRuntime,
  checkSelinux,
  checkVersion,
  type DoctorContext,
  type Outcome,
  type Status,
} from './doctor-checks.js';
import { print } from './output.js';

export interface CheckResult extends Outcome {
  /** Stable: scripts may key on it. */
  id: string;
  title: string;
}

interface Check {
  id: string;
  title: string;
  run(ctx: DoctorContext, signal: AbortSignal): Promise<Outcome>;
  /** Longer than the default only where the check may start a service. */
  timeoutMs?: number;
  /** What a check that ran out of time means: Podman not answering in time is a failure. */
  onTimeout?: Status;
  /** The fix to print when the check ran out of time. */
  timeoutFix?: string;
}

const CHECK_TIMEOUT_MS = 5000;

/** In order: the Podman check finds the client the later ones use. */
const CHECKS: Check[] = [
  {
    id: 'podman',
    title: 'Podman API',
    run: checkPodman,
    // Every candidate gets a 3 s ping, and an embedded service up to 10 s to come up.
    timeoutMs: 25_000,
    onTimeout: 'fail',
    timeoutFix:
      'start the Podman API service (`systemctl --user enable --now podman.socket`) or pass --socket-path',
  },
  { id: 'version', title: 'Podman version', run: checkVersion, onTimeout: 'fail' },
  { id: 'runtime', title: 'OCI runtime, cgroups', run: checkRuntime },
  { id: 'rlimits', title: 'Container rlimits', run: checkRlimits },
  { id: 'selinux', title: 'SELinux', run: checkSelinux },
  { id: 'base-image', title: 'Base image', run: checkBaseImage },
  {
    id: 'registry',
    title: 'Registry',
    run: checkRegistry,
    // Its own request gives up at 5 s and says so; this is the backstop.
    timeoutMs: CHECK_TIMEOUT_MS + 1000,
    timeoutFix: 'offline, use local images: --base-image <a local image with node on PATH>',
  },
  { id: 'quadlet', title: 'Quadlet', run: checkQuadlet },
  { id: 'bind-roots', title: 'Bind roots', run: checkBindRoots },
  { id: 'http-auth', title: 'HTTP auth', run: checkHttpAuth },
];

/**
 * Runs one check with a time limit it cannot overrun: the signal asks it to stop, and the race
 * reports "timed out" even if something inside ignores the signal.
 */
async function bounded(check: Check, ctx: DoctorContext): Promise<CheckResult> {
  const ms = check.timeoutMs ?? CHECK_TIMEOUT_MS;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({
        status: check.onTimeout ?? 'warn',
        finding: `timed out after ${ms / 1000} s`,
        fix:
          check.timeoutFix ??
          'run doctor again; if it times out again, the Podman service is stuck: restart it',
      });
    }, ms);
  });
  const ran = check.run(ctx, controller.signal).catch(
    (err: unknown): Outcome => ({
      status: check.onTimeout ?? 'warn',
      finding: `could not check: ${(err as Error).message}`,
      fix: 'run doctor again; if this persists, restart the Podman service',
    }),
  );
  try {
    return { id: check.id, title: check.title, ...(await Promise.race([ran, timedOut])) };
  } finally {
    clearTimeout(timer);
  }
}

export async function runDoctor(ctx: DoctorContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  try {
    for (const check of CHECKS) results.push(await bounded(check, ctx));
  } finally {
    await ctx.release?.();
  }
  return results;
}

const SYMBOL: Record<Status, string> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };

function renderText(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.id.length));
  const lines = results.map(
    (r) => `${SYMBOL[r.status]} ${r.status.padEnd(4)}  ${r.id.padEnd(width)}  ${r.finding}`,
  );
  const fixes = results.filter((r) => r.fix && (r.status === 'warn' || r.status === 'fail'));
  if (fixes.length) lines.push('', 'Fixes:', ...fixes.map((r) => `  ${r.id}: ${r.fix}`));
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  lines.push(
    '',
    failed ? `${failed} failed, ${warned} to look at.` : `Nothing failed (${warned} to look at).`,
  );
  return lines.join('\n');
}

interface DoctorFlags {
  socketPath?: string;
  url?: string;
  embedded?: boolean;
  baseImage?: string;
  config?: string;
  json?: boolean;
}

/** `mcp-podman doctor`: checks what mcp-podman needs on this machine and says how to fix each problem. */
export function doctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check Podman, its socket, the registry, the base image, SELinux, cgroups and Quadlet; print fixes',
    )
    .option('--socket-path <path>', 'Podman API socket')
    .option('--url <url>', 'Podman API URL (unix:// or tcp://)')
    .option('--no-embedded', 'do not start `podman system service` when no Podman answers')
    .option('--base-image <image>', 'base image for npm-package catalog entries (default: the config’s)')
    .option('--config <file>', 'config file (YAML or JSON)')
    .option('--json', 'print JSON')
    .action(async (flags: DoctorFlags) => {
      const config = await loadConfig({
        file: flags.config,
        flags: {
          podman: {
            socketPath: flags.socketPath,
            url: flags.url,
            embedded: flags.embedded === false ? false : undefined,
          },
          gateway: { baseImage: flags.baseImage },
        },
        env: process.env,
      });
      const results = await runDoctor({ config, env: process.env });
      const ok = !results.some((r) => r.status === 'fail');
      print(flags, { ok, checks: results }, () => renderText(results));
      // Exit now: a check that timed out may still hold a socket open.
      process.exit(ok ? 0 : 1);
    });
}
