import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ToolRegistry } from '../../src/core/tools.js';
import { subscribe } from '../../src/server/fan-out.js';

describe('subscribe: one listener per source and event, however many sessions follow it', () => {
  it('calls every subscriber through one listener, and removes it with the last', () => {
    const registry = new ToolRegistry();
    const calls: number[] = [];
    const leave = Array.from({ length: 50 }, (_, i) => subscribe(registry, 'changed', () => calls.push(i)));
    assert.equal(registry.listenerCount('changed'), 1, 'fifty sessions, one listener');
    registry.emit('changed');
    assert.equal(calls.length, 50);
    for (const l of leave.slice(0, 49)) l();
    registry.emit('changed');
    assert.deepEqual(calls.slice(50), [49], 'only the one still subscribed is called');
    leave[49]!();
    leave[49]!(); // twice is harmless
    assert.equal(registry.listenerCount('changed'), 0, 'the last one out removes the listener');
    subscribe(registry, 'changed', () => calls.push(-1));
    registry.emit('changed');
    assert.equal(calls.at(-1), -1, 'a new subscriber after that is served again');
  });

  it('lets a subscriber leave while the event is being delivered', () => {
    const registry = new ToolRegistry();
    const seen: string[] = [];
    const first = subscribe(registry, 'changed', () => {
      seen.push('first');
      first();
    });
    subscribe(registry, 'changed', () => seen.push('second'));
    registry.emit('changed');
    registry.emit('changed');
    assert.deepEqual(seen, ['first', 'second', 'second']);
  });
});
