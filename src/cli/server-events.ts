/**
 * Reads a text/event-stream body event by event as it arrives (never whole), until the stream ends
 * or the signal aborts. Each event's `data:` lines are joined and parsed as JSON.
 */
export async function followServerEvents(
  res: Response,
  options: { signal: AbortSignal; onEvent: (event: string, data: unknown) => void },
): Promise<void> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        dispatch(buffer.slice(0, end), options.onEvent);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  } catch (err) {
    if (!options.signal.aborted) throw err;
  }
}

function dispatch(block: string, onEvent: (event: string, data: unknown) => void): void {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0) return;
  let value: unknown;
  try {
    value = JSON.parse(data.join('\n'));
  } catch {
    return; // a keep-alive or non-JSON event carries nothing to print
  }
  onEvent(event, value);
}
