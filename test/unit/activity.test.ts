import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Activity } from '../../src/api/activity.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('activity', () => {
  it('keeps a bounded number of entries, each of bounded size', () => {
    const activity = new Activity();
    for (let i = 0; i < 500; i++)
      activity.record({
        tool: 'x'.repeat(10_000),
        ok: false,
        code: 'C'.repeat(1000),
        ms: 1,
        message: 'm'.repeat(10_000),
      });
    const { calls, errors } = activity.snapshot();
    assert.equal(calls.length, 100);
    assert.equal(errors.length, 50);
    for (const e of errors) {
      assert.ok(e.tool.length <= 128 && e.tool.endsWith('...'), `${e.tool.length}`);
      assert.ok(e.code!.length <= 64);
      assert.ok(e.message.length <= 300);
    }
  });

  it('does not keep the megabytes of a huge unknown tool name alive', () => {
    const activity = new Activity();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 40; i++) {
      // Each name is a fresh 3 MB string, as 40 calls with an unknown tool name would bring.
      const name = `${i}`.padEnd(3 * 1024 * 1024, 'n');
      activity.record({ tool: name, ok: false, code: 'UNKNOWN_TOOL', ms: 0, message: name });
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(grown < 16 * 1024 * 1024, `the heap grew by ${Math.round(grown / 1024 / 1024)} MB`);
    assert.equal(activity.snapshot().calls[0]!.tool.slice(0, 2), '39');
  });
});
