import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** JSON-RPC error replies for frames that never reach the protocol layer. */
export type Decoded = { ok: true; message: JSONRPCMessage } | { ok: false; reply: Record<string, unknown> };

/**
 * Decodes one frame. Malformed JSON gets -32700 and a non-JSON-RPC value gets -32600, as JSON-RPC 2.0
 * asks, so a client learns what went wrong and the server keeps serving.
 */
export function decodeFrame(text: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reply: errorReply(null, -32700, 'Parse error: the frame is not valid JSON') };
  }
  if (isJsonRpcShaped(value)) return { ok: true, message: value as JSONRPCMessage };
  const id =
    typeof value === 'object' && value !== null && 'id' in value ? (value as { id: unknown }).id : null;
  const safeId = typeof id === 'string' || typeof id === 'number' ? id : null;
  return {
    ok: false,
    reply: errorReply(
      safeId,
      -32600,
      'Invalid Request: not a JSON-RPC 2.0 request, notification or response',
    ),
  };
}

/**
 * The envelope of a JSON-RPC 2.0 message, checked by hand: the SDK validates every message again
 * against its schemas, so a second full schema pass here only costs time on every request. This
 * check is what lets a malformed frame get its -32600 instead of silence.
 */
function isJsonRpcShaped(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return false;
  const validId = typeof m.id === 'string' || (typeof m.id === 'number' && Number.isFinite(m.id));
  if (typeof m.method === 'string') {
    const paramsOk =
      m.params === undefined ||
      (typeof m.params === 'object' && m.params !== null && !Array.isArray(m.params));
    return paramsOk && (!('id' in m) || validId);
  }
  return (
    validId &&
    (('result' in m && typeof m.result === 'object' && m.result !== null) ||
      (typeof m.error === 'object' && m.error !== null))
  );
}

export function errorReply(
  id: string | number | null,
  code: number,
  message: string,
): Record<string, unknown> {
  return { jsonrpc: '2.0', id, error: { code, message } };
}
