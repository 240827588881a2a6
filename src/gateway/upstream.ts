import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import { VERSION } from '../version.js';
import {
  cleanPrompt,
  cleanResource,
  cleanText,
  cleanTool,
  isValidPromptName,
  isValidToolName,
  quoteName,
} from './upstream-text.js';

/** What a mounted server offers, as last discovered; served from this cache while the server is idle. */
export interface Offer {
  tools: Tool[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  prompts: Prompt[];
  serverInfo?: { name: string; version: string };
  instructions?: string;
  /** Tools and prompts left out for a name that breaks the rules, quoted and escaped for display. */
  rejected: string[];
}

export const EMPTY_OFFER: Offer = {
  tools: [],
  resources: [],
  resourceTemplates: [],
  prompts: [],
  rejected: [],
};

/** The gateway's client to one mounted server. It advertises sampling and elicitation, which it forwards. */
export function newUpstreamClient(): Client {
  return new Client(
    { name: 'mcp-podman-gateway', version: VERSION },
    { capabilities: { sampling: {}, elicitation: { form: {} } } },
  );
}

const MAX_PAGES = 20;

async function allPages<T>(
  fetch: (cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await fetch(cursor);
    out.push(...res.items);
    if (!res.nextCursor) break;
    cursor = res.nextCursor;
  }
  return out;
}

/** Lists everything the server offers, in parallel, following pagination. */
export async function discover(client: Client, timeoutMs: number): Promise<Offer> {
  const caps = client.getServerCapabilities() ?? {};
  const opts = { timeout: timeoutMs };
  const [tools, resources, resourceTemplates, prompts] = await Promise.all([
    caps.tools
      ? allPages((cursor) =>
          client.listTools({ cursor }, opts).then((r) => ({ items: r.tools, nextCursor: r.nextCursor })),
        )
      : [],
    caps.resources
      ? allPages((cursor) =>
          client
            .listResources({ cursor }, opts)
            .then((r) => ({ items: r.resources, nextCursor: r.nextCursor })),
        )
      : [],
    caps.resources
      ? allPages((cursor) =>
          client
            .listResourceTemplates({ cursor }, opts)
            .then((r) => ({ items: r.resourceTemplates, nextCursor: r.nextCursor })),
        ).catch(() => [])
      : [],
    caps.prompts
      ? allPages((cursor) =>
          client.listPrompts({ cursor }, opts).then((r) => ({ items: r.prompts, nextCursor: r.nextCursor })),
        )
      : [],
  ]);
  const info = client.getServerVersion();
  const rejected = [
    ...tools.filter((t) => !isValidToolName(t.name)).map((t) => `tool ${quoteName(t.name)}`),
    ...prompts.filter((p) => !isValidPromptName(p.name)).map((p) => `prompt ${quoteName(p.name)}`),
  ];
  return {
    tools: tools.filter((t) => isValidToolName(t.name)).map(cleanTool),
    resources: resources.map((r) => cleanResource(r)),
    resourceTemplates: resourceTemplates.map((r) => cleanResource(r)),
    prompts: prompts.filter((p) => isValidPromptName(p.name)).map(cleanPrompt),
    serverInfo: info ? { name: cleanText(info.name), version: cleanText(info.version) } : undefined,
    instructions: cleanText(client.getInstructions()),
    rejected,
  };
}

/**
 * Runs an SDK request with a signal that follows `signal` only until the request ends. The SDK adds
 * an abort listener to the signal it is given and never removes it; on a timeout or composite
 * signal that keeps the signal (and the request) alive for good, and a timeout firing later would
 * send a stray cancellation to a live server. The listener here is ours, so it is removed.
 */
export async function withOwnSignal<T>(
  signal: AbortSignal | undefined,
  request: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const own = new AbortController();
  const follow = () => own.abort(signal?.reason);
  if (signal?.aborted) follow();
  else signal?.addEventListener('abort', follow, { once: true });
  try {
    return await request(own.signal);
  } finally {
    signal?.removeEventListener('abort', follow);
  }
}

/**
 * Connects to a Streamable HTTP server that may still be starting: retries until it answers
 * initialize or the deadline passes.
 */
export async function connectHttp(options: {
  url: URL;
  deadline: number;
  signal?: AbortSignal;
  setup: (client: Client) => void;
}): Promise<{ client: Client; transport: Transport }> {
  let lastError: unknown;
  while (Date.now() < options.deadline) {
    if (options.signal?.aborted) throw options.signal.reason;
    const client = newUpstreamClient();
    options.setup(client);
    const transport = new StreamableHTTPClientTransport(options.url);
    try {
      await withOwnSignal(options.signal, (signal) =>
        client.connect(transport, { timeout: Math.max(500, options.deadline - Date.now()), signal }),
      );
      return { client, transport };
    } catch (err) {
      lastError = err;
      await client.close().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw lastError ?? new Error('the server did not answer in time');
}
