import { z } from 'zod';
import { isMcpPodmanError, McpPodmanError } from '../../errors.js';
import type { PodmanClient } from '../../podman/client.js';
import { containerPath } from '../containers.js';
import { DESTRUCTIVE, defineTool } from '../types.js';
import { REMOVE_WITH_ANONYMOUS_VOLUMES } from './apply.js';
import { composeFile, loadOptionsOf, projectName, stopTimeout, variables } from './args.js';
import { projectNameFromFile } from './load.js';
import { projectFilter } from './model.js';

interface Listed {
  Id?: string;
  Names?: string[];
  Name?: string;
  name?: string;
}

export const composeDown = defineTool({
  name: 'podman_compose_down',
  title: 'Compose down',
  description:
    "Stop and remove a compose project's containers and networks, and with volumes=true its named volumes and " +
    "the containers' anonymous volumes. It finds them by the project label mcp-podman set at up, so it also works after " +
    'the file changed and removes services of every profile; nothing outside the project is touched.',
  toolset: 'compose',
  input: z.object({
    file: composeFile.default('docker-compose.yml'),
    project_name: projectName.optional().describe('Project name (default: derived from the file as up does)'),
    volumes: z
      .boolean()
      .default(false)
      .describe(
        "Also remove the project's named volumes and the containers' anonymous volumes, with their data",
      ),
    variables,
    timeout: stopTimeout,
  }),
  annotations: DESTRUCTIVE,
  async handler(args, ctx) {
    const project = await projectNameFromFile(loadOptionsOf(args, ctx.redactor, ctx.config));
    const client = await ctx.podman();
    const filters = projectFilter(project);
    const failures: string[] = [];
    const remove = async (kind: string, path: string, query: Record<string, string | number | boolean>) => {
      try {
        await client.call('DELETE', path, { query });
        return true;
      } catch (err) {
        if (isMcpPodmanError(err) && err.code === 'NOT_FOUND') return true;
        failures.push(`${kind}: ${isMcpPodmanError(err) ? err.message : String(err)}`);
        return false;
      }
    };

    const containers = await list(client, '/libpod/containers/json', { all: true, filters }, ctx.signal);
    await ctx.progress(0, 3, `Removing ${containers.length} container(s)`);
    const removedContainers = await removeAll(containers, (c) =>
      // Anonymous volumes cannot carry the project's labels, so with volumes=true they go with their
      // containers; without it they stay, as compose leaves them (data is removed only when asked).
      remove(`container ${nameOf(c)}`, containerPath(c.Id ?? nameOf(c)), {
        ...REMOVE_WITH_ANONYMOUS_VOLUMES,
        volumes: args.volumes,
        timeout: args.timeout,
      }),
    );
    const networks = await list(client, '/libpod/networks/json', { filters }, ctx.signal);
    await ctx.progress(1, 3, `Removing ${networks.length} network(s)`);
    const removedNetworks = await removeAll(networks, (n) =>
      remove(`network ${nameOf(n)}`, `/libpod/networks/${encodeURIComponent(nameOf(n))}`, {}),
    );
    const volumes = args.volumes ? await list(client, '/libpod/volumes/json', { filters }, ctx.signal) : [];
    await ctx.progress(2, 3, `Removing ${volumes.length} volume(s)`);
    const removedVolumes = await removeAll(volumes, (v) =>
      remove(`volume ${nameOf(v)}`, `/libpod/volumes/${encodeURIComponent(nameOf(v))}`, { force: true }),
    );
    await ctx.progress(3, 3, 'Done');

    const data = {
      project,
      containersRemoved: removedContainers,
      networksRemoved: removedNetworks,
      volumesRemoved: removedVolumes,
      failures,
    };
    if (failures.length && removedContainers.length + removedNetworks.length + removedVolumes.length === 0) {
      throw new McpPodmanError(
        'PODMAN_ERROR',
        `Nothing of project "${project}" could be removed: ${failures.join('; ')}`,
        {
          details: data,
        },
      );
    }
    const nothing = !removedContainers.length && !removedNetworks.length && !removedVolumes.length;
    const text = nothing
      ? `Project ${project} has nothing to remove.`
      : [
          `Project ${project} is down.`,
          removedContainers.length ? `Containers removed: ${removedContainers.join(', ')}` : '',
          removedNetworks.length ? `Networks removed: ${removedNetworks.join(', ')}` : '',
          removedVolumes.length ? `Volumes removed: ${removedVolumes.join(', ')}` : '',
          !args.volumes ? 'Volumes were kept (pass volumes=true to remove them).' : '',
          failures.length ? `Failed: ${failures.join('; ')}` : '',
        ]
          .filter(Boolean)
          .join('\n');
    return { text, data };
  },
});

function nameOf(o: Listed): string {
  return o.Names?.[0] ?? o.Name ?? o.name ?? o.Id ?? '';
}

async function list(
  client: PodmanClient,
  path: string,
  query: Record<string, boolean | Record<string, string[]>>,
  signal: AbortSignal,
): Promise<Listed[]> {
  return (await client.json<Listed[] | null>('GET', path, { query, signal })) ?? [];
}

/** Removes in parallel (each container may take its stop timeout) and returns the names removed. */
async function removeAll(items: Listed[], action: (item: Listed) => Promise<boolean>): Promise<string[]> {
  const results = await Promise.all(items.map(async (item) => ((await action(item)) ? nameOf(item) : '')));
  return results.filter(Boolean);
}
