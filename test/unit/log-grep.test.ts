import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { invalidArguments } from '../../src/server/local-tools.js';
import { logArgs } from '../../src/tools/logs.js';

const args = z.object(logArgs);

describe('the logs grep argument', () => {
  it('takes the RE2 patterns people grep logs with, catastrophic-looking ones included', () => {
    for (const grep of [
      'error',
      '^(started|err line)$',
      'ready$',
      '(?i)warn|error',
      '\\d{4}-\\d{2}-\\d{2}T\\S+',
      '\\bGET /api/\\w+',
      '(?P<level>INFO|WARN)',
      '^(a+)+$',
      '(x+x+)+y',
    ])
      assert.equal(args.safeParse({ grep }).success, true, grep);
  });

  it('refuses backreferences, lookaround and malformed patterns with INVALID_PARAMS that names RE2', () => {
    for (const [grep, why] of [
      ['(a)\\1', /invalid escape sequence: `\\1`/],
      ['a(?=b)', /unsupported Perl syntax: `\(\?=`/],
      ['a(?!b)', /unsupported Perl syntax: `\(\?!`/],
      ['(?<=a)b', /invalid named capture/],
      ['[', /missing closing \]/],
      ['a{1001}', /invalid repeat count/],
    ] as const) {
      const parsed = args.safeParse({ grep });
      assert.equal(parsed.success, false, grep);
      const error = invalidArguments('podman_logs', parsed.error!);
      assert.equal(error.code, 'INVALID_PARAMS', grep);
      assert.match(error.message, /grep: must be a regular expression in RE2 syntax \(as Go regexp/, grep);
      assert.match(error.message, why, grep);
    }
  });
});
