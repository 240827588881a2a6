/** What subscribe() needs of a source: an EventEmitter, or a view that forwards to one. */
export interface EventSource {
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}

type Handler = (...args: never[]) => void;

/** One event of one source: the listener the source sees, and the subscribers it calls. */
interface Hub {
  listener: Handler;
  handlers: Set<Handler>;
}

const hubs = new WeakMap<EventSource, Map<string, Hub>>();

/**
 * Subscribes to a source's event through one listener shared by every subscriber: each MCP
 * session follows the tool registry and the gateway, and a client that never closes its session
 * keeps it until the idle timeout, so per-session listeners piled up on the sources
 * (MaxListenersExceededWarning after ten). Here a session costs an entry in a set, the source
 * sees one listener per event, and that listener goes when the last subscriber does.
 */
export function subscribe<A extends unknown[]>(
  source: EventSource,
  event: string,
  handler: (...args: A) => void,
): () => void {
  const events = hubs.get(source) ?? new Map<string, Hub>();
  hubs.set(source, events);
  let hub = events.get(event);
  if (!hub) {
    const handlers = new Set<Handler>();
    hub = {
      handlers,
      listener: (...args) => {
        for (const h of [...handlers]) h(...args);
      },
    };
    events.set(event, hub);
    source.on(event, hub.listener);
  }
  const own = handler as unknown as Handler;
  hub.handlers.add(own);
  const joined = hub;
  return () => {
    if (!joined.handlers.delete(own) || joined.handlers.size > 0) return;
    source.off(event, joined.listener);
    if (events.get(event) === joined) events.delete(event);
  };
}
