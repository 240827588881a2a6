import { isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, parseAllDocuments, stringify, type Tags, visit } from 'yaml';
import { z } from 'zod';
import { isMcpPodmanError, McpPodmanError } from '../errors.js';
import type { PodmanClient } from '../podman/client.js';
import { LABELS, MANAGED_LABELS } from '../podman/labels.js';
import { assertBindable, checkedVolumeOptions } from './bind-roots.js';
import { assertConfined, confinementOf, podContainers } from './confinement.js';
import { readHostFile } from './host-file.js';
import type { Redactor } from './redact.js';
import { table } from './render.js';
import { assertClientSecrets, kubeSecretRefs } from './reserved-secrets.js';
import { objectRef } from './schemas.js';
import { DESTRUCTIVE, defineTool, MUTATING, READ_ONLY, type ToolContext, type ToolDef } from './types.js';

/**
 * YAML as Podman's decoder (go-yaml v2 into plain values) reads it: 1.1 booleans (`privileged: yes`
 * is true), but no timestamps and no base-60 numbers, which stay strings. Parsed and written back
 * this way, what was checked is what Podman reads: a string "yes" is sent quoted.
 */
const AS_PODMAN_READS = {
  version: '1.1',
  customTags: (tags: Tags) =>
    tags.filter((t) => {
      const tag = typeof t === 'string' ? { tag: t } : (t as { tag?: string; format?: string });
      return !tag.tag?.endsWith('timestamp') && tag.format !== 'TIME';
    }),
} as const;

/** Kinds Podman's kube play acts on (others it skips silently, which would hide a mistake). */
const KINDS = ['Pod', 'Deployment', 'PersistentVolumeClaim', 'ConfigMap', 'Secret', 'Service'] as const;
const MAX_YAML = 1024 * 1024;

const generate = defineTool({
  name: 'podman_kube_generate',
  title: 'Generate Kubernetes YAML',
  description:
    'Generate Kubernetes YAML from pods or containers (by name or id). Pass the output to podman_kube_play to ' +
    'recreate them; service=true adds a Service for published ports. Env values whose names look secret are ' +
    'masked (`redacted` lists them); use Podman secrets to carry them.',
  toolset: 'kube',
  input: z.object({
    names: z
      .array(objectRef)
      .min(1, 'name at least one pod or container')
      .max(50)
      .describe(
        'Pods or containers to describe (names or ids; a container in a pod must be given as its pod)',
      ),
    service: z.boolean().default(false).describe('Also generate a Kubernetes Service for published ports'),
  }),
  annotations: READ_ONLY,
  async handler(args, ctx) {
    const client = await ctx.podman();
    let yaml: string;
    try {
      const res = await client.request('GET', '/libpod/generate/kube', {
        query: { names: args.names, service: args.service },
        signal: ctx.signal,
      });
      yaml = await res.body.text();
    } catch (err) {
      throw generateError(err);
    }
    const kinds = [...yaml.matchAll(/^kind: (\w+)/gm)].map((m) => m[1]);
    const masked = maskSecretEnv(yaml, ctx.redactor);
    return {
      text: masked.yaml,
      data: { yaml: masked.yaml, names: args.names, kinds, redacted: masked.redacted },
    };
  },
});

/**
 * Podman writes a container's env into the YAML in clear, API keys included: values whose names
 * look secret, and URL user-info in any value, are masked as podman_inspect masks them. The YAML
 * is rewritten only when one was.
 */
function maskSecretEnv(yaml: string, redactor: Redactor): { yaml: string; redacted: string[] } {
  if (!redactor.enabled) return { yaml, redacted: [] };
  const docs = parseAllDocuments(yaml);
  const redacted: string[] = [];
  for (const doc of docs) {
    visit(doc, {
      Pair(_, pair) {
        if (!isScalar(pair.key) || pair.key.value !== 'env' || !isSeq(pair.value)) return;
        for (const item of pair.value.items) {
          if (!isMap(item) || !item.has('value')) continue;
          const name = String(item.get('name') ?? '');
          const value = redactor.maskedEnvValue(name, String(item.get('value') ?? ''));
          if (value !== undefined) {
            item.set('value', value);
            redacted.push(`env.${name}`);
          }
        }
      },
    });
  }
  return { yaml: redacted.length ? docs.map((d) => d.toString()).join('') : yaml, redacted };
}

/** Podman 4 answers 500 for an unknown name and for a container that belongs to a pod. */
function generateError(err: unknown): unknown {
  if (!isMcpPodmanError(err)) return err;
  const podman = String(err.details.podman ?? '');
  const missing = /name or ID "([^"]+)" not found/.exec(podman)?.[1];
  if (missing) {
    return new McpPodmanError(
      'NOT_FOUND',
      `No pod or container "${missing}". Use podman_pod_list or podman_ps with all=true to list them.`,
      { details: err.details },
    );
  }
  const pod = /container (\w+) is associated with pod (\w+)/.exec(podman);
  if (pod) {
    return new McpPodmanError(
      'INVALID_PARAMS',
      `Container ${pod[1]?.slice(0, 12)} belongs to pod ${pod[2]?.slice(0, 12)}: generate YAML for the pod instead.`,
      { details: err.details },
    );
  }
  return err;
}

const yamlInput = z.object({
  yaml: z
    .string()
    .max(MAX_YAML)
    .optional()
    .describe('Kubernetes YAML as text (e.g. from podman_kube_generate); give this or file'),
  file: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe("Path of a Kubernetes YAML file (absolute, or relative to the server's working directory)"),
});

interface KubeDoc {
  kind: (typeof KINDS)[number];
  name: string;
  value: Record<string, unknown>;
}

/** What a set of documents creates, by name; play rolls these back and down removes them. */
interface Targets {
  pods: string[];
  deployments: string[];
  volumes: string[];
  secrets: string[];
}

/** The call's yaml, or its file read under the bind roots (a host YAML is the client's only there). */
async function readInput(args: z.infer<typeof yamlInput>, ctx: ToolContext): Promise<string> {
  if ((args.yaml === undefined) === (args.file === undefined)) {
    throw new McpPodmanError('INVALID_PARAMS', 'Give exactly one of yaml (the text) or file (a path).');
  }
  if (args.yaml !== undefined) return args.yaml;
  const path = isAbsolute(args.file!) ? args.file! : resolve(process.cwd(), args.file!);
  const read = await readHostFile(path, ctx.config.bindRoots, 'This kube call', {
    instead: 'give the YAML itself (yaml)',
    maxBytes: MAX_YAML,
  });
  return read.text;
}

/**
 * Parses and checks the YAML before Podman sees it: every document must be a Kubernetes object of a
 * kind Podman plays, with a name. Anything else (a compose file, plain data) is refused here.
 */
function parseKube(text: string): KubeDoc[] {
  const problems: string[] = [];
  const docs: KubeDoc[] = [];
  // merge: <<: keys are resolved here, so what is checked below is what Podman is sent.
  const parsed = parseAllDocuments(text, { prettyErrors: false, merge: true, ...AS_PODMAN_READS });
  for (const [i, doc] of (Array.isArray(parsed) ? parsed : []).entries()) {
    const at = `document ${i + 1}`;
    if (doc.errors.length) {
      problems.push(`${at}: ${doc.errors[0]?.message.split('\n')[0]}`);
      continue;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${at} is not a Kubernetes object (a map with apiVersion and kind)`);
      continue;
    }
    const v = value as Record<string, unknown>;
    const twins = foldedTwins(v, at);
    if (twins.length) {
      problems.push(
        `${at} has keys that differ only in case (${twins.join('; ')}), which Podman reads as one key, the last one winning`,
      );
      continue;
    }
    const name = (v.metadata as { name?: unknown } | undefined)?.name;
    if (typeof v.apiVersion !== 'string' || typeof v.kind !== 'string') {
      problems.push(`${at} has no apiVersion and kind`);
    } else if (!(KINDS as readonly string[]).includes(v.kind)) {
      problems.push(`${at} is a ${v.kind}, which Podman does not play`);
    } else if (typeof name !== 'string' || !name) {
      problems.push(`${at} (${v.kind}) has no metadata.name`);
    } else docs.push({ kind: v.kind as KubeDoc['kind'], name, value: v });
  }
  if (!problems.length && !docs.some((d) => d.kind !== 'Service' && d.kind !== 'ConfigMap')) {
    problems.push('there is no Pod, Deployment, PersistentVolumeClaim or Secret to create');
  }
  if (problems.length) {
    throw new McpPodmanError(
      'INVALID_PARAMS',
      `This is not Kubernetes YAML that Podman can play: ${problems.join('; ')}. Give ${KINDS.join(', ')} ` +
        'documents with apiVersion, kind and metadata.name (podman_kube_generate writes such YAML).',
      { details: { problems } },
    );
  }
  return docs;
}

/**
 * Keys of one mapping that Podman's decoder takes for the same key: it matches keys regardless of
 * case and keeps the last of them, so `{ADD: [], add: [SYS_ADMIN]}` would be checked as one list
 * and played as the other. Such YAML is refused anywhere in a document, whatever the key.
 */
function foldedTwins(node: unknown, at: string, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) foldedTwins(item, `${at}[${i}]`, out);
  } else if (node && typeof node === 'object') {
    const seen = new Map<string, string>();
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const first = seen.get(goFold(key));
      if (first !== undefined) out.push(`${at}: "${first}" and "${key}"`);
      else seen.set(goFold(key), key);
      foldedTwins(value, `${at}.${key}`, out);
    }
  }
  return out;
}

function targetsOf(docs: KubeDoc[]): Targets {
  const names = (kind: KubeDoc['kind']) => docs.filter((d) => d.kind === kind).map((d) => d.name);
  return {
    pods: names('Pod'),
    deployments: names('Deployment'),
    volumes: names('PersistentVolumeClaim'),
    secrets: names('Secret'),
  };
}

/**
 * What the YAML would take from the host, checked before Podman sees it. Podman decodes kube YAML
 * with keys matched regardless of case, so keys are compared in lower case at any depth:
 * - hostPath volumes, and claims whose volume.podman.io/device binds a host path, follow the bind roots;
 * - a claim that mounts any other device, and privileged, added capabilities, host namespaces or an
 *   SELinux type are refused outright, as compose refuses their equivalents and podman_run offers none.
 */
async function checkHostAccess(docs: KubeDoc[], roots: string[]): Promise<void> {
  const hostPaths: { holder: Record<string, unknown>; key: string; doc: KubeDoc }[] = [];
  const refused: string[] = [];
  let doc: KubeDoc;
  const claims: { at: string; holder: Record<string, unknown>; annotations: Record<string, string> }[] = [];
  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) walk(item, `${at}[${i}]`);
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const name = goFold(key);
      const here = `${at}.${key}`;
      const object = value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
      if (name === 'hostpath' && object) {
        const holder = object as Record<string, unknown>;
        hostPaths.push({ holder, key: Object.keys(holder).find((k) => goFold(k) === 'path') ?? 'path', doc });
      } else if (['subpath', 'subpathexpr'].includes(name)) {
        // Podman 4.4 and later resolve a subPath inside the volume at each start, unchecked here.
        refused.push(here);
      } else if (['privileged', 'hostnetwork', 'hostpid', 'hostipc'].includes(name) && value === true) {
        refused.push(here);
      } else if (name === 'capabilities' && object) {
        const add = Object.entries(object).find(([k]) => goFold(k) === 'add')?.[1];
        if (Array.isArray(add) && add.length) refused.push(`${here}.add`);
      } else if (name === 'selinuxoptions' && object && Object.keys(object).length) {
        refused.push(here);
      } else if (name === 'annotations' && object) {
        const annotations = Object.fromEntries(Object.entries(object).map(([k, v]) => [k, String(v)]));
        for (const [k, v] of Object.entries(annotations)) {
          // seccomp and AppArmor profiles by annotation: only the runtime's default confinement.
          if (/seccomp|apparmor/i.test(k) && /unconfined/i.test(v)) refused.push(`${here}.${k}`);
        }
        if (Object.keys(annotations).some((k) => k.toLowerCase().startsWith('volume.podman.io/')))
          claims.push({ at: here, holder: object as Record<string, unknown>, annotations });
      }
      walk(value, here);
    }
  };
  for (doc of docs) walk(doc.value, `${doc.kind} ${doc.name}`);
  if (refused.length) {
    throw new McpPodmanError(
      'FORBIDDEN',
      `This YAML asks for more of the host than this server gives a container: ${refused.join(', ')}. Remove those settings.`,
      { details: { refused } },
    );
  }
  const reals = await assertBindable(
    hostPaths.map((h) => String(h.holder[h.key] ?? '')),
    roots,
    'This YAML (a hostPath volume)',
  );
  // Podman is sent the real paths that were checked, not the names that led there.
  for (const [i, h] of hostPaths.entries()) h.holder[h.key] = reals[i];
  const restarts = [...new Set(hostPaths.map((h) => h.doc))].flatMap(restartProblems);
  if (restarts.length) {
    throw new McpPodmanError(
      'FORBIDDEN',
      `${restarts.join('; ')}. Podman restarts such containers by itself, resolving host paths again where this ` +
        'server cannot check them; restart the pod with podman_pod_restart, which checks them.',
      { details: { refused: restarts } },
    );
  }
  for (const claim of claims) {
    const device = 'volume.podman.io/device';
    const checked = await checkedVolumeOptions(
      claim.annotations,
      { type: 'volume.podman.io/type', device, o: 'volume.podman.io/mount-options' },
      roots,
      `This YAML (${claim.at})`,
    );
    if (checked[device] !== undefined) claim.holder[device] = checked[device];
  }
}

/**
 * Podman restarts a kube pod's containers by itself (restartPolicy defaults to Always), resolving
 * host paths again at each restart where nothing checks them; so a pod with hostPath volumes must
 * say restartPolicy: Never, and a Deployment (always restarted) may not have them.
 */
function restartProblems(doc: KubeDoc): string[] {
  const at = `${doc.kind} ${doc.name}`;
  if (doc.kind === 'Deployment')
    return [`${at} has hostPath volumes, which Deployments (always restarted) may not`];
  const spec = field(doc.value, 'spec');
  const policy = field(spec, 'restartPolicy');
  return doc.kind === 'Pod' && policy !== 'Never'
    ? [
        `${at} has hostPath volumes and restartPolicy ${String(policy ?? 'Always (the default)')}: set restartPolicy: Never`,
      ]
    : [];
}

/** A key of a decoded mapping as Podman finds it: regardless of case (twins were refused earlier). */
function field(node: unknown, key: string): unknown {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
  return Object.entries(node).find(([k]) => goFold(k) === goFold(key))?.[1];
}

/**
 * A key as Podman's YAML decoder (Go's encoding/json) matches it: regardless of case, with Go's
 * case folding, which also takes "ſ" (U+017F) for "s" and the Kelvin sign for "k".
 */
function goFold(key: string): string {
  return key.toLowerCase().replace(/\u017f/g, 's');
}

/** A pod that play made for these documents: a Pod by name, or a Deployment's "<name>-pod[-N]". */
function podMatches(targets: Targets, pod: string): boolean {
  return (
    targets.pods.includes(pod) ||
    targets.deployments.some((d) => pod === `${d}-pod` || new RegExp(`^${escapeRe(d)}-pod-\\d+$`).test(pod))
  );
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Adds the managed label to what Podman labels from the YAML (pods, their containers, volumes). */
function labelled(docs: KubeDoc[]): string {
  return docs
    .map(({ kind, value }) => {
      const copy = structuredClone(value);
      const addTo = (meta: unknown) => {
        const m = meta as { labels?: Record<string, string> };
        m.labels = { ...m.labels, ...MANAGED_LABELS };
      };
      if (kind === 'Pod' || kind === 'PersistentVolumeClaim' || kind === 'Deployment') addTo(copy.metadata);
      const template = (copy.spec as { template?: { metadata?: unknown } } | undefined)?.template;
      if (kind === 'Deployment' && template) {
        template.metadata ??= {};
        addTo(template.metadata);
      }
      return stringify(copy, AS_PODMAN_READS);
    })
    .join('---\n');
}

/** The checked documents of a call's yaml or file; their secret values are remembered first. */
async function readDocs(args: z.infer<typeof yamlInput>, ctx: ToolContext): Promise<KubeDoc[]> {
  const docs = parseKube(await readInput(args, ctx));
  rememberSecrets(docs, ctx);
  return docs;
}

/** Secret values in the YAML must never come back in a result, error or log. */
function rememberSecrets(docs: KubeDoc[], ctx: ToolContext): void {
  for (const doc of docs.filter((d) => d.kind === 'Secret')) {
    for (const field of ['data', 'stringData']) {
      for (const value of Object.values((doc.value[field] ?? {}) as Record<string, unknown>)) {
        if (typeof value !== 'string') continue;
        ctx.redactor.remember(value);
        if (field === 'data') ctx.redactor.remember(Buffer.from(value, 'base64').toString('utf8'));
      }
    }
  }
}

interface Existing {
  pods: Set<string>;
  volumes: Set<string>;
  secrets: Set<string>;
}

async function existing(client: PodmanClient, signal: AbortSignal): Promise<Existing> {
  const [pods, volumes, secrets] = await Promise.all([
    client.json<{ Name: string }[] | null>('GET', '/libpod/pods/json', { signal }),
    client.json<{ Name: string }[] | null>('GET', '/libpod/volumes/json', { signal }),
    client.json<{ Spec?: { Name?: string } }[] | null>('GET', '/libpod/secrets/json', { signal }),
  ]);
  return {
    pods: new Set((pods ?? []).map((p) => p.Name)),
    volumes: new Set((volumes ?? []).map((v) => v.Name)),
    secrets: new Set((secrets ?? []).map((s) => s.Spec?.Name ?? '')),
  };
}

interface Removal {
  pods: string[];
  volumes: string[];
  secrets: string[];
  notFound: string[];
  failures: string[];
}

/**
 * Removes the pods (with their containers), volumes and secrets the documents name, skipping any
 * name in `keep`. Used by down, and by play to undo a failed play.
 */
async function removeTargets(client: PodmanClient, targets: Targets, keep?: Existing): Promise<Removal> {
  const out: Removal = { pods: [], volumes: [], secrets: [], notFound: [], failures: [] };
  const pods = ((await client.json<{ Name: string }[] | null>('GET', '/libpod/pods/json')) ?? [])
    .map((p) => p.Name)
    .filter((name) => podMatches(targets, name) && !keep?.pods.has(name));
  const remove = async (kind: keyof Omit<Removal, 'notFound' | 'failures'>, path: string, name: string) => {
    try {
      await client.call('DELETE', path, {
        query: kind === 'pods' ? { force: true, timeout: 0 } : {},
        notFound: { code: 'NOT_FOUND', message: 'absent' },
      });
      out[kind].push(name);
    } catch (err) {
      if (isMcpPodmanError(err) && err.code === 'NOT_FOUND') out.notFound.push(name);
      else out.failures.push(`${name}: ${isMcpPodmanError(err) ? err.message : String(err)}`);
    }
  };
  for (const pod of pods) await remove('pods', `/libpod/pods/${encodeURIComponent(pod)}`, pod);
  for (const pod of targets.pods.filter((p) => !pods.includes(p) && !keep?.pods.has(p)))
    out.notFound.push(pod);
  for (const volume of targets.volumes.filter((v) => !keep?.volumes.has(v))) {
    await remove('volumes', `/libpod/volumes/${encodeURIComponent(volume)}`, volume);
  }
  for (const secret of targets.secrets.filter((s) => !keep?.secrets.has(s))) {
    await remove('secrets', `/libpod/secrets/${encodeURIComponent(secret)}`, secret);
  }
  return out;
}

interface PlayReport {
  Pods?: { ID: string; Containers?: string[] | null; ContainerErrors?: string[] | null }[] | null;
  Volumes?: { Name: string }[] | null;
}

interface PodInfo {
  Id: string;
  Name: string;
  State: string;
  InfraContainerID?: string;
  Containers?: { Id: string; Name: string; State: string }[];
}

/** Starts a played pod; a container that fails to start fails the play (which is then undone). */
async function startPod(client: PodmanClient, id: string): Promise<void> {
  try {
    await client.call('POST', `/libpod/pods/${encodeURIComponent(id)}/start`, { okStatuses: [304] });
  } catch (err) {
    const reason = isMcpPodmanError(err) ? String(err.details.podman ?? err.message) : String(err);
    throw new McpPodmanError('PODMAN_ERROR', `Containers failed to start: ${reason}`, { cause: err });
  }
}

const play = defineTool({
  name: 'podman_kube_play',
  title: 'Play Kubernetes YAML',
  description:
    'Create pods, containers, volumes and secrets from Kubernetes YAML (Pod, Deployment, PersistentVolumeClaim, ' +
    'ConfigMap, Secret, Service), given as text or a file. The YAML is checked first; if Podman fails part-way, ' +
    'what this call created is removed. Images must be present locally. Returns what was created.',
  toolset: 'kube',
  input: yamlInput,
  annotations: MUTATING,
  async handler(args, ctx) {
    const docs = await readDocs(args, ctx);
    await checkHostAccess(docs, ctx.config.bindRoots);
    const targets = targetsOf(docs);
    const client = await ctx.podman();
    await assertClientSecrets(
      client,
      [...targets.secrets, ...kubeSecretRefs(docs.map((d) => d.value))],
      ctx.signal,
    );
    const before = await existing(client, ctx.signal);
    await ctx.progress(0, 2, 'Playing the YAML');
    let report: PlayReport;
    try {
      // Created, not started: what Podman made of the YAML is inspected before anything runs.
      report = await client.json<PlayReport>('POST', '/libpod/play/kube', {
        body: labelled(docs),
        query: { start: false },
        // Without a YAML content type Podman parses the body as a form and finds no documents.
        headers: { 'content-type': 'application/yaml' },
        signal: ctx.signal,
      });
      const playedPods = (report.Pods ?? []).map((p) => p.ID);
      const members = (await Promise.all(playedPods.map((id) => podContainers(client, id)))).flat();
      await assertConfined(
        client,
        members,
        confinementOf(ctx.config),
        'What this YAML creates may not run here',
      );
      for (const id of playedPods) await startPod(client, id);
    } catch (err) {
      const undone = await removeTargets(client, targets, before);
      const coded = isMcpPodmanError(err)
        ? err
        : new McpPodmanError('PODMAN_ERROR', String(err), { cause: err });
      throw new McpPodmanError(
        coded.code,
        `${coded.message.replace(/\.?$/, '.')} What this call created was removed again ` +
          `(pods: ${undone.pods.join(', ') || 'none'}; volumes: ${undone.volumes.join(', ') || 'none'}; secrets: ${undone.secrets.join(', ') || 'none'}).` +
          (coded.code === 'FORBIDDEN'
            ? ''
            : ' Check the images are present (podman_images) and the names are free, then play again.'),
        { cause: err, details: { ...coded.details, rolledBack: undone } },
      );
    }
    await ctx.progress(1, 2, 'Reading what was created');
    const pods = await Promise.all(
      (report.Pods ?? []).map((p) =>
        client.json<PodInfo>('GET', `/libpod/pods/${encodeURIComponent(p.ID)}/json`, { signal: ctx.signal }),
      ),
    );
    const created = pods.map((p) => ({
      id: p.Id,
      name: p.Name,
      state: p.State,
      containers: (p.Containers ?? [])
        .filter((c) => c.Id !== p.InfraContainerID)
        .map((c) => ({ id: c.Id, name: c.Name, state: c.State })),
    }));
    const volumes = (report.Volumes ?? []).map((v) => v.Name);
    const secrets = targets.secrets.filter((s) => !before.secrets.has(s));
    const text = [
      `Played ${docs.length} document(s): ${created.length} pod(s), ${volumes.length} volume(s), ${secrets.length} secret(s).`,
      created.length
        ? table(
            ['POD', 'STATE', 'CONTAINERS'],
            created.map((p) => [
              p.name,
              p.state,
              p.containers.map((c) => `${c.name} (${c.state})`).join(', '),
            ]),
          )
        : '',
      volumes.length ? `Volumes: ${volumes.join(', ')}` : '',
      secrets.length ? `Secrets: ${secrets.join(', ')}` : '',
      `Labelled ${LABELS.managed}=true. Remove them with podman_kube_down and the same YAML.`,
    ];
    return { text: lines(text), data: { pods: created, volumes, secrets } };
  },
});

const down = defineTool({
  name: 'podman_kube_down',
  title: 'Tear down Kubernetes YAML',
  description:
    'Remove what podman_kube_play created from the same YAML: its pods with their containers, its ' +
    'PersistentVolumeClaim volumes and its secrets. Names not present are reported, not treated as errors.',
  toolset: 'kube',
  input: yamlInput,
  annotations: DESTRUCTIVE,
  async handler(args, ctx) {
    const docs = await readDocs(args, ctx);
    const client = await ctx.podman();
    await assertClientSecrets(client, targetsOf(docs).secrets, ctx.signal);
    const removed = await removeTargets(client, targetsOf(docs));
    const total = removed.pods.length + removed.volumes.length + removed.secrets.length;
    if (total === 0 && removed.failures.length) {
      throw new McpPodmanError('PODMAN_ERROR', `Nothing could be removed: ${removed.failures.join('; ')}`, {
        details: { ...removed },
      });
    }
    const text = [
      total ? `Removed ${total} object(s).` : 'Nothing named in the YAML exists; nothing to remove.',
      removed.pods.length ? `Pods: ${removed.pods.join(', ')}` : '',
      removed.volumes.length ? `Volumes: ${removed.volumes.join(', ')}` : '',
      removed.secrets.length ? `Secrets: ${removed.secrets.join(', ')}` : '',
      removed.notFound.length ? `Not found: ${removed.notFound.join(', ')}` : '',
      removed.failures.length ? `Failed: ${removed.failures.join('; ')}` : '',
    ];
    return { text: lines(text), data: { ...removed } };
  },
});

function lines(parts: string[]): string {
  return parts.filter(Boolean).join('\n');
}

export const kubeTools: ToolDef[] = [generate, play, down];
