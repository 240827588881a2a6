import type { Duplex } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { BoundedText, demux } from '../podman/streams.js';

/**
 * MCP over a container's attached stdio, through Podman's REST API (no podman CLI, so it works with
 * a remote Podman too). stdin carries newline-delimited JSON-RPC; stdout and stderr come back as
 * multiplexed frames. stdout lines that are not JSON-RPC are kept as evidence for a clear error.
 */
/** How long a closed attach is still read, for a dying server's last words. */
const LINGER_MS = 1000;

export class AttachTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  /** The tail of what the server wrote to stderr, for error messages and status. */
  readonly stderr = new BoundedText(8 * 1024, 'tail');
  /** The first lines of stdout that were not JSON-RPC. */
  readonly garbage: string[] = [];
  private garbageBytes = 0;
  private closed = false;
  private markEnded!: () => void;
  /** Settles when the attach stream has ended: by then all the server wrote to stderr is here. */
  readonly ended = new Promise<void>((resolve) => {
    this.markEnded = resolve;
  });

  constructor(
    private readonly socket: Duplex,
    private readonly options: { onGarbage?: (bytes: number) => void } = {},
  ) {}

  async start(): Promise<void> {
    this.socket.on('error', (err) => this.onerror?.(err));
    this.socket.on('close', () => {
      this.markEnded();
      this.finish();
    });
    void this.pump();
  }

  private async pump(): Promise<void> {
    let pending = '';
    try {
      for await (const frame of demux(this.socket)) {
        if (frame.stream === 'stderr') {
          this.stderr.push(frame.data.toString('utf8'));
          continue;
        }
        pending += frame.data.toString('utf8');
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          // The SDK runs notification handlers a microtask later but settles responses at once: a
          // progress notification followed by its response in one chunk would lose the progress.
          // A turn of the event loop after each notification keeps them in order.
          if (line && this.handleLine(line) === 'notification') await new Promise((r) => setImmediate(r));
          newline = pending.indexOf('\n');
        }
        if (pending.length > 16 * 1024 * 1024) {
          this.noteGarbage(pending.slice(0, 200));
          pending = '';
        }
      }
    } catch (err) {
      if (!this.closed) this.onerror?.(err as Error);
    }
    this.finish();
  }

  private handleLine(line: string): 'notification' | 'other' | undefined {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.noteGarbage(line);
      return undefined;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      this.noteGarbage(line);
      return undefined;
    }
    this.onmessage?.(parsed.data);
    return 'method' in parsed.data && !('id' in parsed.data) ? 'notification' : 'other';
  }

  private noteGarbage(line: string): void {
    if (this.garbage.length < 5) this.garbage.push(line.slice(0, 200));
    this.garbageBytes += line.length;
    this.options.onGarbage?.(this.garbageBytes);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed || this.socket.destroyed) return reject(new Error('The server container is gone.'));
      const ok = this.socket.write(`${JSON.stringify(message)}\n`, (err) => (err ? reject(err) : undefined));
      if (ok) resolve();
      else this.socket.once('drain', resolve);
    });
  }

  /**
   * Closes stdin (the server sees EOF) and drops the connection. What the server still writes on
   * its way out (its last stderr lines, often why it died) is read for a moment more.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    const linger = setTimeout(() => this.socket.destroy(), LINGER_MS);
    linger.unref();
    this.socket.once('close', () => clearTimeout(linger));
    this.onclose?.();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.markEnded();
    this.socket.destroy();
    this.onclose?.();
  }
}
