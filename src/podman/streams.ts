import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * Yields the JSON values of a newline-delimited stream as they arrive (pull, build and push
 * progress, events). Nothing is buffered beyond the current line.
 */
export async function* jsonLines<T = Record<string, unknown>>(stream: Readable): AsyncGenerator<T> {
  let pending = '';
  // A chunk can end inside a multi-byte character; the decoder holds those bytes for the next one.
  const decoder = new StringDecoder('utf8');
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) yield* parseConcatenated<T>(line);
      newline = pending.indexOf('\n');
    }
  }
  pending += decoder.end();
  if (pending.trim()) yield* parseConcatenated<T>(pending.trim());
}

/** Some libpod streams put several JSON objects on one line ({..}{..}); split them at top level. */
function* parseConcatenated<T>(line: string): Generator<T> {
  try {
    yield JSON.parse(line) as T;
    return;
  } catch {
    // fall through to splitting
  }
  let depth = 0;
  let start = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      try {
        yield JSON.parse(line.slice(start, i + 1)) as T;
      } catch {
        // A fragment that is not JSON carries no progress worth reporting.
      }
      start = i + 1;
    }
  }
}

export type StdStream = 'stdout' | 'stderr';

export interface Frame {
  stream: StdStream;
  data: Buffer;
}

/**
 * Splits Podman's multiplexed stdout/stderr stream (8-byte headers: stream id, 3 zero bytes,
 * big-endian length). A stream from a TTY container has no headers; it is passed through as stdout.
 */
export async function* demux(stream: Readable): AsyncGenerator<Frame> {
  let buf: Buffer = Buffer.alloc(0);
  let raw: boolean | undefined;
  for await (const chunk of stream) {
    buf = buf.length ? Buffer.concat([buf, chunk as Buffer]) : (chunk as Buffer);
    if (raw === undefined) {
      if (buf.length < 8) continue;
      raw = !((buf[0] === 1 || buf[0] === 2 || buf[0] === 0) && buf[1] === 0 && buf[2] === 0 && buf[3] === 0);
    }
    if (raw) {
      yield { stream: 'stdout', data: buf };
      buf = Buffer.alloc(0);
      continue;
    }
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const id = buf[0];
      yield { stream: id === 2 ? 'stderr' : 'stdout', data: buf.subarray(8, 8 + size) };
      buf = buf.subarray(8 + size);
    }
  }
  if (buf.length) yield { stream: 'stdout', data: buf };
}

/**
 * Collects text up to a byte budget and remembers whether anything was cut. Keeps the head or the
 * tail: logs want the newest lines, so the tail is the default.
 */
export class BoundedText {
  private chunks: string[] = [];
  private bytes = 0;
  truncated = false;

  constructor(
    private readonly maxBytes: number,
    private readonly keep: 'head' | 'tail' = 'tail',
  ) {}

  push(text: string): void {
    if (!text) return;
    const size = Buffer.byteLength(text);
    if (this.keep === 'head') {
      if (this.truncated || this.bytes >= this.maxBytes) {
        this.truncated = true;
        return;
      }
      if (this.bytes + size > this.maxBytes) {
        const bytes = Buffer.from(text);
        const end = charBoundary(bytes, this.maxBytes - this.bytes, -1);
        this.chunks.push(bytes.subarray(0, end).toString());
        this.bytes += end;
        this.truncated = true;
        return;
      }
      this.chunks.push(text);
      this.bytes += size;
      return;
    }
    this.chunks.push(text);
    this.bytes += size;
    while (this.bytes > this.maxBytes && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const firstSize = Buffer.byteLength(first);
      this.truncated = true;
      if (this.bytes - firstSize >= this.maxBytes) {
        this.chunks.shift();
        this.bytes -= firstSize;
      } else {
        const bytes = Buffer.from(first);
        const cut = charBoundary(bytes, this.bytes - this.maxBytes, 1);
        this.chunks[0] = bytes.subarray(cut).toString();
        this.bytes -= cut;
      }
    }
  }

  get size(): number {
    return this.bytes;
  }

  toString(): string {
    return this.chunks.join('');
  }
}

/**
 * Moves a byte offset off UTF-8 continuation bytes (towards the start with -1, the end with 1), so a
 * cut never splits a character into replacement characters or leaves more bytes than were counted.
 */
function charBoundary(bytes: Buffer, offset: number, direction: 1 | -1): number {
  let i = offset;
  while (i > 0 && i < bytes.length && ((bytes[i] ?? 0) & 0xc0) === 0x80) i += direction;
  return i;
}
