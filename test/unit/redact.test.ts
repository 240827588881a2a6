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

  it('scrubs a secret that contains another one whole, whichever was remembered first', () => {
    const r = new Redactor(true);
    r.remember('tok_abcd');
    r.remember('tok_abcd9f8e7d6c5b4a');
    assert.equal(r.scrub('a=tok_abcd b=tok_abcd9f8e7d6c5b4a'), `a=${MASK} b=${MASK}`);
    assert.deepEqual(r.scrubDeep({ b: 'tok_abcd9f8e7d6c5b4a!' }), { b: `${MASK}!` });
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

  it('masks URL user-info in any env value, whatever the name, and lists the key', () => {
    const r = new Redactor(true);
    const { env, masked } = r.maskEnvList([
      'DATABASE_URL=postgres://u:pass@h/db',
      'MIRROR=https://ghp_tok123@github.com/o/r.git',
      'ODD=mysql://admin:p@ss:w0rd@db:3306/x?ssl=1',
      'TWO=redis://a:one@h1,redis://b:two@h2',
      'PLAIN=https://example.com/a@b',
      'MAIL=user@example.com',
    ]);
    assert.deepEqual(env, [
      `DATABASE_URL=postgres://u:${MASK}@h/db`,
      `MIRROR=https://${MASK}@github.com/o/r.git`,
      `ODD=mysql://admin:${MASK}@db:3306/x?ssl=1`,
      `TWO=redis://a:${MASK}@h1,redis://b:${MASK}@h2`,
      'PLAIN=https://example.com/a@b',
      'MAIL=user@example.com',
    ]);
    assert.deepEqual(masked, ['DATABASE_URL', 'MIRROR', 'ODD', 'TWO']);
    assert.deepEqual(r.maskEnvMap({ DATABASE_URL: 'postgres://u:pass@h/db', HOME: '/root' }), {
      env: { DATABASE_URL: `postgres://u:${MASK}@h/db`, HOME: '/root' },
      masked: ['DATABASE_URL'],
    });
    assert.equal(new Redactor(false).maskedEnvValue('DATABASE_URL', 'postgres://u:pass@h/db'), undefined);
  });

  it('scrubs by walking the structure: multi-line, quoted and JSON-syntax values, keys too', () => {
    const r = new Redactor(true);
    const multi = 'line one\nline "two"';
    r.remember(multi);
    r.remember('e":"');
    const result = { output: `before ${multi} after`, [multi]: 'a key', nested: [{ s: 'x e":" y' }], n: 2 };
    const scrubbed = r.scrubDeep(result);
    assert.deepEqual(scrubbed, {
      output: `before ${MASK} after`,
      [MASK]: 'a key',
      nested: [{ s: `x ${MASK} y` }],
      n: 2,
    });
    assert.ok(!JSON.stringify(scrubbed).includes('line one'));
    // Plain text is scrubbed as it is: the newline is a real one there.
    assert.equal(r.scrub(`a ${multi} b`), `a ${MASK} b`);
    // The result of an error's toJSON is what is walked, as JSON.stringify would send it.
    assert.deepEqual(r.scrubDeep({ when: { toJSON: () => `at ${multi}` } }), { when: `at ${MASK}` });
  });
});
