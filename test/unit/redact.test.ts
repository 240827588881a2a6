import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { looksSecret, MASK, Redactor } from '../../src/tools/redact.js';

describe('Redactor', () => {
  it('recognises secret-looking names and leaves ordinary ones', () => {
    for (const name of [
      'DB_PASSWORD',
      'passwd',
      'API_KEY',
      'apikey',
      'GITHUB_TOKEN',
      'AWS_SECRET_ACCESS_KEY',
      'SSH_PRIVATE_KEY',
      'SIGNING_KEY',
      'KEY',
      'BASIC_AUTH',
      'SENTRY_DSN',
      'DB_CONNECTION_STRING',
      'SESSION_COOKIE',
    ]) {
      assert.ok(looksSecret(name), name);
    }
    for (const name of ['PATH', 'HOME', 'LANG', 'GREETING', 'KEYBOARD_LAYOUT', 'PORT', 'NODE_ENV']) {
      assert.equal(looksSecret(name), false, name);
    }
  });

  it('masks env entries by name or by the secret keys given, and lists what it masked', () => {
    const r = new Redactor(true);
    const { env, masked } = r.maskEnvList(
      ['PATH=/bin', 'DB_PASSWORD=hunter2', 'FROM_SECRET=x=y=z', 'EMPTY_TOKEN=', 'NOEQUALS'],
      new Set(['FROM_SECRET']),
    );
    assert.deepEqual(env, [
      'PATH=/bin',
      `DB_PASSWORD=${MASK}`,
      `FROM_SECRET=${MASK}`,
      `EMPTY_TOKEN=${MASK}`,
      'NOEQUALS',
    ]);
    assert.deepEqual(masked, ['DB_PASSWORD', 'FROM_SECRET', 'EMPTY_TOKEN']);
    assert.deepEqual(r.maskEnvMap({ API_KEY: 'k', USER: 'me' }), {
      env: { API_KEY: MASK, USER: 'me' },
      masked: ['API_KEY'],
    });
    assert.deepEqual(r.maskEnvList(null), { env: [], masked: [] });
  });

  it('changes nothing when redaction is off', () => {
    const r = new Redactor(false);
    assert.deepEqual(r.maskEnvList(['DB_PASSWORD=hunter2'], new Set(['DB_PASSWORD'])), {
      env: ['DB_PASSWORD=hunter2'],
      masked: [],
    });
    assert.deepEqual(r.maskEnvMap({ API_KEY: 'k' }), { env: { API_KEY: 'k' }, masked: [] });
  });

  it('scrubs remembered values from any text, even with redaction off, but not very short ones', () => {
    const r = new Redactor(false);
    r.remember('s3cr3t-value');
    r.remember('abc');
    r.remember(undefined);
    assert.equal(r.scrub('a s3cr3t-value and s3cr3t-value; abc stays'), `a ${MASK} and ${MASK}; abc stays`);
    assert.deepEqual(r.scrubDeep({ list: ['x s3cr3t-value'], n: 1, ok: true }), {
      list: [`x ${MASK}`],
      n: 1,
      ok: true,
    });
    const untouched = { a: 1 };
    assert.equal(new Redactor(true).scrubDeep(untouched), untouched);
  });

  it('masks the values of masked entries elsewhere in one result, inside strings only', () => {
    const r = new Redactor(true);
    const env = ['API_TOKEN=tok-123', 'FEATURE_AUTH=true', 'PLAIN=visible', 'EMPTY_SECRET='];
    const { masked } = r.maskEnvList(env);
    const inspected = {
      Config: {
        CreateCommand: ['podman', 'run', '-e', 'API_TOKEN=tok-123', '-e', 'FEATURE_AUTH=true'],
        Tty: true,
      },
      Labels: { note: 'uses tok-123', plain: 'visible' },
      Count: 3,
    };
    assert.deepEqual(r.maskValuesIn(inspected, env, masked), {
      Config: {
        CreateCommand: ['podman', 'run', '-e', `API_TOKEN=${MASK}`, '-e', `FEATURE_AUTH=${MASK}`],
        Tty: true,
      },
      Labels: { note: `uses ${MASK}`, plain: 'visible' },
      Count: 3,
    });
    assert.equal(r.maskValuesIn(inspected, env, []), inspected);
  });
});
