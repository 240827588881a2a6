import { z } from 'zod';
import { isMcpPodmanError, McpPodmanError } from '../../errors.js';
import { buildImage } from '../../podman/build.js';
import type { PodmanClient } from '../../podman/client.js';
import { assertBindable, BUILD_CONTEXT } from '../bind-roots.js';
import { confinementOf } from '../confinement.js';
import { buildNetwork } from '../host-network.js';
import { collectLogs, logArgs } from '../logs.js';
import { table } from '../render.js';
import { DESTRUCTIVE, defineTool, MUTATING, type ToolContext } from '../types.js';
import { type ApplyResult, applyPlan } from './apply.js';
import { composeFile, loadOptionsOf, profiles, projectName, stopTimeout, variables } from './args.js';
import { loadProject } from './load.js';
import { type Plan, planUp } from './plan.js';
import { waitExit } from './wait.js';

const input = z.object({
  file: composeFile.default('docker-compose.yml'),
  project_name: projectName.optional(),
  detach: z
    .boolean()
    .default(true)
    .describe('Return once everything is started (default true); false waits for every service to exit'),
  variables,
  profiles,
  build: z
    .boolean()
    .default(false)
    .describe('Rebuild the images of services with a build section even when they exist (default false)'),
  timeout: stopTimeout,
});

export const composeUp = defineTool({
  name: 'podman_compose_up',
  title: 'Compose up',
  description:
    'Create and start a compose project on Podman (no compose binary needed): networks, volumes, then services in ' +
    'depends_on order, honouring service_healthy and service_completed_successfully. The whole file is checked ' +
    'first (unsupported keys, cycles, missing images, taken names), so a bad file creates nothing; a failure ' +
    'half-way removes what the call created. Running services whose configuration is unchanged are left alone; ' +
    'changed ones are replaced. detach=false waits for all services to exit and returns exit codes and logs.',
  toolset: 'compose',
  input,
  // Replacing a changed service removes its old container, so this is destructive, though repeatable.
  annotations: { ...MUTATING, destructiveHint: DESTRUCTIVE.destructiveHint, idempotentHint: true },
  async handler(args, ctx) {
    const project = await loadProject(loadOptionsOf(args, ctx.redactor, ctx.config));
    for (const [name, service] of Object.entries(project.services)) {
      const where = `Compose service "${name}"`;
      // Mounted and built by their real paths: a symlink swapped in afterwards changes nothing.
      const reals = await assertBindable(
        service.binds.map((b) => b.source),
        ctx.config.bindRoots,
        where,
      );
      service.binds = service.binds.map((b, i) => ({ ...b, source: reals[i]! }));
      if (service.build) {
        const [context] = await assertBindable([service.build.context], ctx.config.bindRoots, where, {
          ...BUILD_CONTEXT,
          instead: 'use a prebuilt image',
        });
        service.build = { ...service.build, context: context! };
      }
    }
    const client = await ctx.podman();
    const plan = await planUp(client, project, { rebuild: args.build, signal: ctx.signal });
    const waits = new Set(
      Object.values(project.services).flatMap((s) =>
        Object.entries(s.dependsOn)
          .filter(([, c]) => c !== 'service_started')
          .map(([d, c]) => `${d}:${c}`),
      ),
    );
    const builds = Object.values(plan.services).filter((s) => s.needsBuild);
    let total =
      builds.length +
      plan.networksToCreate.length +
      plan.volumesToCreate.length +
      project.order.length +
      waits.size;
    let step = 0;
    // Replacing a changed service adds a stop step the plan cannot count, so the total may grow.
    const progress = (message: string) => {
      total = Math.max(total, ++step);
      return ctx.progress(step, total, message);
    };

    const built = await buildAll(client, plan, ctx, progress);
    const applied = await applyPlan({
      client,
      plan,
      signal: ctx.signal,
      stopTimeout: args.timeout,
      maxWaitMs: ctx.config.limits.runWaitMs,
      confinement: confinementOf(ctx.config),
      progress,
    });
    const exits = args.detach ? undefined : await waitForExits(client, applied, ctx);
    const warnings = [
      ...project.warnings,
      ...(plan.orphans.length
        ? [
            `containers ${plan.orphans.join(', ')} belong to the project but to no service in the file; podman_compose_down removes them`,
          ]
        : []),
      ...(plan.profileDisabled.length
        ? [
            `containers ${plan.profileDisabled.join(', ')} belong to services whose profiles are not enabled now; they were left as they are`,
          ]
        : []),
    ];
    return render({ project: project.name, applied, built, warnings, exits });
  },
});

async function buildAll(
  client: PodmanClient,
  plan: Plan,
  ctx: ToolContext,
  progress: (message: string) => Promise<void>,
): Promise<string[]> {
  const built: string[] = [];
  for (const entry of Object.values(plan.services).filter((s) => s.needsBuild)) {
    const { service } = entry;
    const build = service.build!;
    await progress(`Building ${service.image} for ${service.name}`);
    try {
      const result = await buildImage(client, {
        contextDir: build.context,
        ...(build.dockerfile ? { containerfile: build.dockerfile } : {}),
        tags: [service.image],
        buildArgs: build.args,
        network: buildNetwork(undefined, ctx.config.allowHostNetwork),
        signal: ctx.signal,
        stallMs: ctx.config.limits.registryStallMs,
        onProgress: (_n, message) => ctx.log.debug({ service: service.name, message }, 'compose build'),
      });
      entry.imageId = result.id;
      built.push(service.image);
    } catch (err) {
      const coded = isMcpPodmanError(err) ? err : undefined;
      throw new McpPodmanError(
        coded?.code ?? 'PODMAN_ERROR',
        `Building the image of service "${service.name}" failed: ${coded?.message ?? String(err)} No container, network or volume was created.`,
        { cause: err, details: { ...coded?.details, service: service.name, built } },
      );
    }
  }
  return built;
}

interface ServiceExit {
  service: string;
  container: string;
  exitCode: number;
  logs: string;
  truncated: boolean;
}

/** detach=false: every service's exit code and the tail of its logs, within the output budget. */
async function waitForExits(
  client: PodmanClient,
  applied: ApplyResult,
  ctx: ToolContext,
): Promise<ServiceExit[]> {
  const budget = Math.max(1024, Math.floor(ctx.config.limits.outputBytes / applied.services.length));
  const codes = await Promise.all(
    applied.services.map((s) =>
      waitExit({
        client,
        id: s.id,
        service: s.service,
        signal: ctx.signal,
        maxMs: ctx.config.limits.runWaitMs,
      }),
    ),
  );
  const defaults = z.object(logArgs).parse({ tail: -1 });
  return Promise.all(
    applied.services.map(async (s, i) => {
      const logs = await collectLogs({
        client,
        container: s.id,
        args: defaults,
        defaultMaxBytes: budget,
        defaultFollowMs: ctx.config.limits.followMs,
        signal: ctx.signal,
      });
      return {
        service: s.service,
        container: s.container,
        exitCode: codes[i]!,
        logs: ctx.redactor.scrub(logs.text),
        truncated: logs.truncated,
      };
    }),
  );
}

function render(result: {
  project: string;
  applied: ApplyResult;
  built: string[];
  warnings: string[];
  exits: ServiceExit[] | undefined;
}) {
  const { applied, exits } = result;
  const lines = [
    `Project ${result.project}: ${applied.services.length} service(s) ${exits ? 'ran' : 'up'}.`,
    table(
      ['SERVICE', 'CONTAINER', 'ACTION', ...(exits ? ['EXIT'] : [])],
      applied.services.map((s, i) => [
        s.service,
        s.container,
        s.action,
        ...(exits ? [exits[i]!.exitCode] : []),
      ]),
    ),
    applied.networksCreated.length ? `Networks created: ${applied.networksCreated.join(', ')}` : '',
    applied.volumesCreated.length ? `Volumes created: ${applied.volumesCreated.join(', ')}` : '',
    result.built.length ? `Images built: ${result.built.join(', ')}` : '',
    result.warnings.length ? `Warnings: ${result.warnings.join('; ')}` : '',
    ...(exits ?? []).map(
      (e) =>
        `--- ${e.service} (exit ${e.exitCode}) ---\n${e.logs || '(no output)'}${e.truncated ? '\n(truncated)' : ''}`,
    ),
  ];
  return {
    text: lines.filter(Boolean).join('\n'),
    data: {
      project: result.project,
      services: applied.services,
      networksCreated: applied.networksCreated,
      volumesCreated: applied.volumesCreated,
      imagesBuilt: result.built,
      warnings: result.warnings,
      ...(exits ? { exits } : {}),
    },
  };
}
