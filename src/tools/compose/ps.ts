import { z } from 'zod';
import { McpPodmanError } from '../../errors.js';
import { containerPath } from '../containers.js';
import { table, truncationNote } from '../render.js';
import { defineTool, READ_ONLY } from '../types.js';
import { composeFile, loadOptionsOf, profiles, projectName, variables } from './args.js';
import { loadProject, projectNameFromFile } from './load.js';
import { COMPOSE_LABELS, projectFilter } from './model.js';

interface ListedContainer {
  Id: string;
  Names?: string[];
  Image: string;
  State: string;
  Status?: string;
  ExitCode?: number;
  Ports?:
    | { host_ip?: string; host_port?: number; container_port: number; protocol?: string; range?: number }[]
    | null;
  Labels?: Record<string, string> | null;
}

const LIMIT = 200;

export const composePs = defineTool({
  name: 'podman_compose_ps',
  title: 'Compose ps',
  description:
    "List a compose project's containers in every state, with service, health and ports. With file, services " +
    'that have no container yet are listed too.',
  toolset: 'compose',
  input: z.object({
    file: composeFile.optional(),
    project_name: projectName.optional().describe('Project name (required unless file is given)'),
    variables,
    profiles: profiles.describe(
      'Profiles to count as enabled when listing services without a container (as for podman_compose_up)',
    ),
  }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    if (!args.file && !args.project_name) {
      throw new McpPodmanError(
        'INVALID_PARAMS',
        'Give project_name, or the compose file (file) to derive it from.',
      );
    }
    const options = loadOptionsOf(args, ctx.redactor, ctx.config);
    const project = await projectNameFromFile(options);
    const client = await ctx.podman();
    const listed = await client.json<ListedContainer[]>('GET', '/libpod/containers/json', {
      query: { all: true, filters: projectFilter(project) },
      signal: ctx.signal,
    });
    const shown = listed.slice(0, LIMIT);
    const containers = await Promise.all(
      shown.map(async (c) => ({
        service: c.Labels?.[COMPOSE_LABELS.service] ?? '',
        name: c.Names?.[0] ?? c.Id.slice(0, 12),
        id: c.Id,
        image: c.Image,
        state: c.State,
        exitCode: c.State === 'running' ? undefined : c.ExitCode,
        health: c.State === 'running' ? await health(c.Id) : undefined,
        ports: (c.Ports ?? []).map((p) => {
          const span = (first = 0) => ((p.range ?? 1) > 1 ? `${first}-${first + p.range! - 1}` : `${first}`);
          return `${p.host_ip || '0.0.0.0'}:${span(p.host_port)}->${span(p.container_port)}/${p.protocol ?? 'tcp'}`;
        }),
      })),
    );
    containers.sort((a, b) => a.service.localeCompare(b.service));
    // Only for listing services without a container: a file that no longer passes up's checks still lists.
    const loaded = args.file ? await loadProject(options).catch(() => undefined) : undefined;
    const defined = Object.keys(loaded?.services ?? {});
    const notCreated = defined.filter((s) => !containers.some((c) => c.service === s));

    async function health(id: string): Promise<string | undefined> {
      const info = await client
        .json<{ State?: { Health?: { Status?: string } | null } }>('GET', containerPath(id, '/json'), {
          signal: ctx.signal,
        })
        .catch(() => undefined);
      return info?.State?.Health?.Status || undefined;
    }

    const text =
      (containers.length === 0
        ? `Project ${project} has no containers.`
        : table(
            ['SERVICE', 'NAME', 'STATE', 'HEALTH', 'PORTS'],
            containers.map((c) => [
              c.service,
              c.name,
              c.exitCode === undefined ? c.state : `${c.state} (${c.exitCode})`,
              c.health ?? '',
              c.ports.join(', '),
            ]),
          )) +
      (notCreated.length ? `\nNot created: ${notCreated.join(', ')}` : '') +
      truncationNote(shown.length, listed.length, 'the project has more containers than a listing shows');
    return {
      text,
      data: {
        project,
        containers,
        notCreated,
        count: containers.length,
        total: listed.length,
        truncated: listed.length > shown.length,
      },
    };
  },
});
