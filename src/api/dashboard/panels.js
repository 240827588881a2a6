/** Renders each panel from API data. Everything goes through el(), so server strings stay text. */
import { clock, count, duration, el, muted, put } from './dom.js';

const MAX_ROWS = 50;
const MAX_TOOLS = 40;
/**
 * A container replica says "running"; a gateway mount says "ready" once its server answered. The
 * same set as UP_STATES in src/api/services/model.ts, which the CLI counts with.
 */
const UP_STATES = new Set(['running', 'ready']);

export function renderHealth(node, health) {
  const status = health?.status === 'healthy' ? 'healthy' : 'unhealthy';
  node.dataset.state = status;
  const label = node.querySelector('.label');
  label.textContent = `Podman ${status}`;
  node.title = health?.error?.message ?? `mcp-podman ${health?.version ?? ''}`.trim();
}

export function renderHealthProblem(node, error) {
  node.dataset.state = 'unreachable';
  node.querySelector('.label').textContent =
    error.kind === 'unreachable' ? 'server unreachable' : 'health unknown';
  node.title = error.message;
}

const METRIC_LABELS = {
  uptime_seconds: 'Uptime',
  total_requests: 'MCP requests',
  total_errors: 'Errors',
  active_sessions: 'Sessions',
  registered_tools: 'Tools',
};
const METRIC_HIDDEN = new Set(['server_name', 'version', 'timestamp']);

/** Known figures first, then any other top-level number the server adds, labelled from its key. */
export function renderMetrics(body, health, metrics) {
  const tiles = [];
  if (health) tiles.push(tile('Podman', health.status ?? 'unknown', `state-${health.status}`));
  if (metrics) {
    const known = Object.keys(METRIC_LABELS).filter((k) => k in metrics);
    const extra = Object.keys(metrics).filter(
      (k) => !(k in METRIC_LABELS) && !METRIC_HIDDEN.has(k) && typeof metrics[k] === 'number',
    );
    for (const key of [...known, ...extra]) {
      const value = key === 'uptime_seconds' ? duration(metrics[key]) : count(metrics[key]);
      tiles.push(tile(METRIC_LABELS[key] ?? key.replaceAll('_', ' '), value));
    }
    if (metrics.version) tiles.push(tile('Version', metrics.version));
  } else {
    tiles.push(tile('Metrics', 'not available', 'muted'));
  }
  put(body, ...tiles);
}

function tile(label, value, className = '') {
  return el(
    'div',
    { class: `tile ${className}` },
    el('span', { class: 'tile-value' }, value),
    el('span', { class: 'tile-label' }, label),
  );
}

export function renderServices(body, services, { selected, onSelect }) {
  if (!services.length) {
    put(body, muted('No services yet. Start one with POST /containers or mount a server with registry_add.'));
    return;
  }
  const cards = [...services]
    .sort((a, b) => String(a.name).localeCompare(String(b.name)))
    .map((service) => serviceCard(service, service.name === selected, onSelect));
  put(body, el('div', { class: 'service-grid' }, cards));
}

function serviceCard(service, isSelected, onSelect) {
  const replicas = Array.isArray(service.replicas) ? service.replicas : [];
  const up = replicas.filter((r) => UP_STATES.has(r.state)).length;
  const tools = Array.isArray(service.tools) ? service.tools : [];
  const routes = service.routes ?? {};
  return el(
    'article',
    {
      class: 'service',
      'data-service': service.name,
      'data-state': service.state,
      'aria-current': isSelected ? 'true' : false,
    },
    el(
      'header',
      {},
      el(
        'button',
        {
          type: 'button',
          class: 'service-name',
          title: 'Follow its logs',
          onclick: () => onSelect(service.name),
        },
        service.name,
      ),
      el('span', { class: `badge state-${service.state}` }, service.state ?? 'unknown'),
    ),
    el(
      'p',
      { class: 'meta' },
      [
        service.kind,
        service.template && `template ${service.template}`,
        `${up}/${service.replicas_desired ?? replicas.length} up`,
      ]
        .filter(Boolean)
        .join(' · '),
    ),
    replicas.length ? el('ul', { class: 'replicas' }, replicas.map(replicaItem)) : null,
    routes.host || routes.mcp
      ? el(
          'p',
          { class: 'routes' },
          routes.host ? el('code', {}, routes.host) : null,
          routes.mcp ? el('code', {}, routes.mcp) : null,
        )
      : null,
    tools.length ? toolList(tools) : null,
  );
}

function replicaItem(replica) {
  const health = replica.health ?? 'none';
  return el(
    'li',
    { class: `replica health-${health}`, title: `health: ${health}` },
    el('span', { class: 'dot' }),
    el('span', {}, replica.name ?? String(replica.id ?? '').slice(0, 12)),
    el('span', { class: 'muted' }, replica.state),
    replica.host_port ? el('code', {}, `:${replica.host_port}`) : null,
    replica.restarts ? el('span', { class: 'muted' }, `↻ ${replica.restarts}`) : null,
  );
}

function toolList(tools) {
  const shown = tools.slice(0, MAX_TOOLS);
  return el(
    'ul',
    { class: 'tools', 'aria-label': 'tools' },
    shown.map((name) => el('li', { class: 'tool' }, name)),
    tools.length > shown.length
      ? el('li', { class: 'tool more' }, `+${tools.length - shown.length} more`)
      : null,
  );
}

/** A newest-first table of activity entries, bounded; says when it left some out. */
function recentTable(body, entries, { empty, noun, headings, cells }) {
  if (!entries.length) {
    put(body, muted(empty));
    return;
  }
  const sorted = [...entries].sort((a, b) => new Date(b.time).getTime() - new Date(a.time).getTime());
  const hidden = sorted.length - MAX_ROWS;
  put(
    body,
    table(headings, sorted.slice(0, MAX_ROWS).map(cells)),
    hidden > 0 ? muted(`${hidden} older ${noun} not shown.`) : null,
  );
}

export function renderCalls(body, calls) {
  recentTable(body, calls, {
    empty: 'No tool calls yet.',
    noun: 'calls',
    headings: ['Time', 'Tool', 'Result', 'ms'],
    cells: (call) => [
      clock(call.time),
      el('code', {}, call.tool),
      call.ok ? el('span', { class: 'ok' }, 'ok') : el('span', { class: 'fail' }, call.code ?? 'error'),
      count(call.ms),
    ],
  });
}

export function renderErrors(body, errors) {
  recentTable(body, errors, {
    empty: 'No errors.',
    noun: 'errors',
    headings: ['Time', 'Tool', 'Error'],
    cells: (e) => [
      clock(e.time),
      el('code', {}, e.tool ?? '–'),
      el(
        'div',
        {},
        el('div', { class: 'fail' }, e.code ?? 'error'),
        el('div', { class: 'message' }, e.message ?? ''),
      ),
    ],
  });
}

export function renderProblem(body, error) {
  const text = error.kind === 'unavailable' ? 'Not available on this server.' : error.message;
  put(body, el('p', { class: `problem ${error.kind}` }, text));
}

function table(headings, rows) {
  return el(
    'table',
    {},
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headings.map((h) => el('th', {}, h)),
      ),
    ),
    el(
      'tbody',
      {},
      rows.map((cells) =>
        el(
          'tr',
          {},
          cells.map((c) => el('td', {}, c)),
        ),
      ),
    ),
  );
}
