import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { decodeFrame } from './jsonrpc.js';

const MAX_LINE = 16 * 1024 * 1024;

/**
 * Newline-delimited JSON-RPC over stdin/stdout. Unlike the SDK's transport, a malformed frame gets a
 * JSON-RPC error reply instead of silence, and an oversized one is answered and skipped.
 */
export class StdioTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  private buffer = '';
  private closed = false;

  constructor(
    private readonly input: Readable = process.stdin,
    private readonly output: Writable = process.stdout,
  ) {}

  private readonly onData = (chunk: Buffer) => {
    this.buffer += chunk.toString('utf8');
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      this.handleLine(line);
      newline = this.buffer.indexOf('\n');
    }
    if (this.buffer.length > MAX_LINE) {
      this.buffer = '';
      this.writeRaw({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'Invalid Request: frame too large' },
      });
    }
  };

  private readonly onEnd = () => {
    void this.close();
  };

  private readonly onInputError = (err: Error) => this.onerror?.(err);

  private handleLine(line: string): void {
    if (!line.trim()) return;
    const decoded = decodeFrame(line);
    if (decoded.ok) this.onmessage?.(decoded.message);
    else this.writeRaw(decoded.reply);
  }

  async start(): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('error', this.onInputError);
  }

  private writeRaw(value: unknown): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      if (this.output.write(`${JSON.stringify(value)}\n`)) resolve();
      else this.output.once('drain', resolve);
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.writeRaw(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('error', this.onInputError);
    this.input.pause();
    this.onclose?.();
  }
}
