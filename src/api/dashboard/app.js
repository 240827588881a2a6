/** The operations page: polls the management API every few seconds and follows one service's logs. */
import { ApiError, getJson, token } from './api.js';
import { LogView } from './logs.js';
import {
  renderCalls,
  renderErrors,
  renderHealth,
  renderHealthProblem,
  renderMetrics,
  renderProblem,
  renderServices,
} from './panels.js';

const REFRESH_MS = 3000;
const $ = (id) => document.getElementById(id);
const bodyOf = (id) => $(id).querySelector('.body');

const logs = new LogView($('logs').querySelector('.log-lines'), $('logs-target'));
let selected;
/** What each panel last rendered, so an unchanged answer does not rebuild it (and steal focus). */
const lastShown = new Map();
let timer;

async function refresh() {
  const [health, metrics, services, activity] = await Promise.allSettled([
    getJson('/health', [503]),
    getJson('/metrics'),
    getJson('/containers'),
    getJson('/api/activity'),
  ]);
  const failures = [health, metrics, services, activity]
    .filter((r) => r.status === 'rejected')
    .map((r) => r.reason);
  if (failures.some((e) => e instanceof ApiError && e.kind === 'unauthorized')) askForToken();

  if (health.status === 'fulfilled') renderHealth($('health'), health.value);
  else renderHealthProblem($('health'), health.reason);
  show('metrics', [health, metrics], () =>
    renderMetrics(bodyOf('metrics'), settled(health), settled(metrics)),
  );
  show('services', [services], () =>
    renderServices(bodyOf('services'), services.value.services ?? [], { selected, onSelect: select }),
  );
  show('calls', [activity], () => renderCalls(bodyOf('calls'), activity.value.calls ?? []));
  show('errors', [activity], () => renderErrors(bodyOf('errors'), activity.value.errors ?? []));

  $('updated').textContent = `updated ${new Date().toLocaleTimeString('en-GB', { hour12: false })}`;
  $('forget-token').hidden = !token.get();
  // Clearing first keeps one loop even when a click starts a refresh while another is in flight.
  clearTimeout(timer);
  timer = setTimeout(refresh, REFRESH_MS);
}

function settled(result) {
  return result.status === 'fulfilled' ? result.value : undefined;
}

/**
 * Renders a panel when its data changed. The metrics panel tolerates a missing part (it shows what it
 * has); the others need their one source and otherwise say why they are empty.
 */
function show(id, results, render) {
  const failed = results.find((r) => r.status === 'rejected');
  const allFailed = results.every((r) => r.status === 'rejected');
  const key = JSON.stringify([
    selected,
    results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason.message)),
  ]);
  if (lastShown.get(id) === key) return;
  lastShown.set(id, key);
  if (failed && (results.length === 1 || allFailed)) renderProblem(bodyOf(id), failed.reason);
  else render();
}

function select(name) {
  selected = name;
  logs.follow(name);
  lastShown.delete('services');
  void refresh();
}

function askForToken() {
  const dialog = $('token-dialog');
  if (dialog.open) return;
  $('token-reason').textContent = token.get()
    ? 'The saved token was refused. Enter the current one.'
    : 'This server requires a bearer token.';
  token.clear();
  dialog.showModal();
  $('token-input').focus();
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = $('token-input').value.trim();
  if (!value) return;
  token.set(value);
  $('token-input').value = '';
  $('token-dialog').close();
  lastShown.clear();
  logs.restart();
  void refresh();
});

$('forget-token').addEventListener('click', () => {
  token.clear();
  logs.stop();
  lastShown.clear();
  void refresh();
});

void refresh();
