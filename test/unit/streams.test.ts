import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { BoundedText, demux, type Frame, jsonLines } from '../../src/podman/streams.js';

function frame(stream: 1 | 2, payload: string): Buffer {
  const data = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/** Cuts a buffer at the given offsets, as a socket might deliver it. */
function chunked(buf: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, buf.length]) {
    out.push(buf.subarray(start, cut));
    start = cut;
  }
  return out;
}

async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of gen) out.push(v);
  return out;
}

const asText = (frames: Frame[]) => frames.map((f) => [f.stream, f.data.toString()]);

describe('demux', () => {
  const muxed = Buffer.concat([
    frame(1, 'out one\n'),
    frame(2, 'err ünï\n'),
    frame(1, ''),
    frame(1, 'out two\n'),
  ]);
  const expected = [
    ['stdout', 'out one\n'],
    ['stderr', 'err ünï\n'],
    ['stdout', ''],
    ['stdout', 'out two\n'],
  ];

  it('splits frames whatever the chunking, headers split across chunks included', async () => {
    for (const cuts of [
      [],
      [1],
      [3, 7],
      [8],
      [9, 10, 11],
      [16, 17, 20],
      Array.from({ length: muxed.length - 1 }, (_, i) => i + 1),
    ]) {
      assert.deepEqual(
        asText(await collect(demux(Readable.from(chunked(muxed, cuts))))),
        expected,
        `cuts ${cuts}`,
      );
    }
  });

  it('passes a TTY stream (no headers) through as stdout', async () => {
    const raw = Buffer.from('hello from a tty\r\nsecond line\r\n');
    const frames = await collect(demux(Readable.from(chunked(raw, [2, 10]))));
    assert.ok(frames.every((f) => f.stream === 'stdout'));
    assert.equal(Buffer.concat(frames.map((f) => f.data)).toString(), raw.toString());
    const short = await collect(demux(Readable.from([Buffer.from('hi')])));
    assert.deepEqual(asText(short), [['stdout', 'hi']]);
  });
});

describe('jsonLines', () => {
  it('joins lines split across chunks and skips blank ones', async () => {
    const text = Buffer.from('{"a":1}\n\n  \r\n{"b":"two"}\r\n{"c":[1,2]}');
    for (const cuts of [[], [3], [7, 8], [12, 13, 20]]) {
      assert.deepEqual(await collect(jsonLines(Readable.from(chunked(text, cuts)))), [
        { a: 1 },
        { b: 'two' },
        { c: [1, 2] },
      ]);
    }
  });

  it('splits objects concatenated on one line, braces and quotes in strings included', async () => {
    const line = '{"a":1}{"s":"}{"}{"q":"say \\"}\\" {"}{"n":{"m":2}}\n';
    assert.deepEqual(await collect(jsonLines(Readable.from([line]))), [
      { a: 1 },
      { s: '}{' },
      { q: 'say "}" {' },
      { n: { m: 2 } },
    ]);
  });

  it('keeps multi-byte characters that a chunk boundary splits', async () => {
    const text = Buffer.from('{"s":"é✓🙂"}\n');
    for (let cut = 1; cut < text.length; cut++) {
      assert.deepEqual(
        await collect(jsonLines(Readable.from(chunked(text, [cut])))),
        [{ s: 'é✓🙂' }],
        `cut at ${cut}`,
      );
    }
  });
});

describe('BoundedText', () => {
  it('keeps the newest bytes in tail mode and says it truncated', () => {
    const t = new BoundedText(10);
    t.push('0123456789');
    assert.equal(t.truncated, false);
    t.push('abc');
    assert.equal(t.toString(), '3456789abc');
    assert.equal(t.truncated, true);
    t.push('x'.repeat(25));
    assert.equal(t.toString(), 'x'.repeat(10));
    assert.equal(t.size, 10);
  });

  it('keeps the oldest bytes in head mode and ignores the rest', () => {
    const h = new BoundedText(5, 'head');
    h.push('abc');
    h.push('defgh');
    h.push('ijk');
    assert.equal(h.toString(), 'abcde');
    assert.equal(h.truncated, true);
    const exact = new BoundedText(3, 'head');
    exact.push('abc');
    assert.equal(exact.truncated, false);
    exact.push('d');
    assert.equal(exact.truncated, true);
    assert.equal(exact.toString(), 'abc');
  });

  it('never splits a character or exceeds its budget', () => {
    for (const keep of ['head', 'tail'] as const) {
      for (let max = 1; max <= 12; max++) {
        const t = new BoundedText(max, keep);
        for (const piece of ['aé', '🙂', 'b✓', 'ü']) t.push(piece);
        const out = t.toString();
        assert.ok(!out.includes('\uFFFD'), `${keep} ${max}: ${out}`);
        assert.ok(Buffer.byteLength(out) <= max, `${keep} ${max}: ${out}`);
        assert.equal(t.size, Buffer.byteLength(out));
        assert.equal(t.truncated, true);
      }
    }
  });
});
