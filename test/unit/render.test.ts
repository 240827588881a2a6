import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ListedContainer, statusOf } from '../../src/tools/containers.js';
import { humanDuration } from '../../src/tools/render.js';

describe('podman_ps status wording', () => {
  const now = 1_800_000_000;
  const zero = -62135596800; // Go's zero time, which libpod sends for "never"
  const c = (over: Partial<ListedContainer>): ListedContainer => ({
    Id: 'x',
    Image: 'i',
    State: 'running',
    Status: '',
    StartedAt: zero,
    ExitedAt: zero,
    ...over,
  });

  it('words an empty Status from the state, exit code and times', () => {
    assert.equal(statusOf(c({ StartedAt: now - 5 }), now), 'Up 5 seconds');
    assert.equal(statusOf(c({ StartedAt: now - 3 * 3600 }), now), 'Up 3 hours');
    assert.equal(statusOf(c({ State: 'paused', StartedAt: now - 60 }), now), 'Up About a minute (paused)');
    assert.equal(
      statusOf(c({ State: 'exited', ExitCode: 137, StartedAt: now - 900, ExitedAt: now - 120 }), now),
      'Exited (137) 2 minutes ago',
    );
    assert.equal(statusOf(c({ State: 'created' }), now), 'Created');
    assert.equal(statusOf(c({ State: 'exited', ExitCode: 1 }), now), 'Exited (1)', 'no time for a zero time');
  });

  it('keeps a Status that Podman filled in', () => {
    assert.equal(
      statusOf(c({ Status: 'Up 2 days (healthy)', StartedAt: now - 1 }), now),
      'Up 2 days (healthy)',
    );
  });

  it('says durations as podman ps does', () => {
    assert.equal(humanDuration(0.2), 'Less than a second');
    assert.equal(humanDuration(1), '1 second');
    assert.equal(humanDuration(59), '59 seconds');
    assert.equal(humanDuration(3600), 'About an hour');
    assert.equal(humanDuration(86400 * 3), '3 days');
    assert.equal(humanDuration(86400 * 21), '3 weeks');
    assert.equal(humanDuration(86400 * 90), '3 months');
  });
});
