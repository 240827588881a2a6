/**
 * DOM helpers. Every string from the server becomes a text node or an attribute value through these,
 * never markup: nothing is parsed as HTML, so nothing needs escaping by hand.
 */

/** Creates `<tag>` with attributes (`on*` become listeners) and children (strings become text). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function muted(text) {
  return el('p', { class: 'muted' }, text);
}

/** 3725 → "1h 2m". */
export function duration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** An ISO time or epoch milliseconds as a 24-hour wall-clock time. */
export function clock(time) {
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return String(time ?? '');
  return date.toLocaleTimeString('en-GB', { hour12: false });
}

export function count(value) {
  return typeof value === 'number' ? value.toLocaleString('en-US') : String(value ?? '–');
}

/** Replaces a node's children, skipping empty ones (replaceChildren would print "null"). */
export function put(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
}
