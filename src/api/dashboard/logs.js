/** Follows one service's logs over Server-Sent Events and keeps the newest lines on screen. */
import { logStreamUrl } from './api.js';
import { el } from './dom.js';

const MAX_LINES = 500;

export class LogView {
  constructor(list, status) {
    this.list = list;
    this.status = status;
    this.source = undefined;
    this.service = undefined;
  }

  follow(service) {
    this.stop();
    this.service = service;
    this.list.replaceChildren();
    this.say('connecting…');
    const source = new EventSource(logStreamUrl(service));
    source.addEventListener('open', () => this.say('live'));
    source.addEventListener('log', (event) => {
      let entry;
      try {
        entry = JSON.parse(event.data);
      } catch {
        return;
      }
      this.append(entry.replica, entry.line);
    });
    source.addEventListener('error', () => {
      // CLOSED means the browser gave up (a 404, a refused token, not an event stream); otherwise it retries.
      if (source.readyState === EventSource.CLOSED) this.say('live logs not available');
      else this.say('reconnecting…');
    });
    this.source = source;
  }

  /** Reconnects with the current token, e.g. after the user entered one. */
  restart() {
    if (this.service) this.follow(this.service);
  }

  stop() {
    this.source?.close();
    this.source = undefined;
  }

  say(state) {
    this.status.textContent = `${this.service} · ${state}`;
    this.status.dataset.state = state === 'live' ? 'live' : 'idle';
  }

  append(replica, line) {
    const box = this.list.parentElement;
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
    this.list.append(
      el(
        'li',
        {},
        el('span', { class: 'replica' }, String(replica ?? '')),
        el('span', { class: 'line' }, String(line ?? '')),
      ),
    );
    while (this.list.childElementCount > MAX_LINES) this.list.firstElementChild.remove();
    if (atBottom) box.scrollTop = box.scrollHeight;
  }
}
