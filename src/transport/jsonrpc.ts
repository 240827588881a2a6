import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';

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
  const parsed = JSONRPCMessageSchema.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
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

export function errorReply(
  id: string | number | null,
  code: number,
  message: string,
): Record<string, unknown> {
  return { jsonrpc: '2.0', id, error: { code, message } };
}
