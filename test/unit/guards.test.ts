import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { originAllowed } from '../../src/transport/guards.js';

describe('originAllowed', () => {
  const none = new Set<string>();
  it('lets this server talk to itself, by its own name or a loopback name on the same port', () => {
    assert.equal(originAllowed('http://127.0.0.1:8913', '127.0.0.1:8913', none, false), true);
    assert.equal(originAllowed('http://localhost:8913', '127.0.0.1:8913', none, false), true);
    assert.equal(originAllowed('http://[::1]:8913', 'localhost:8913', none, false), true);
  });

  it('refuses other local pages: another port, a proxied *.localhost service, null', () => {
    assert.equal(originAllowed('http://localhost:3000', '127.0.0.1:8913', none, false), false);
    assert.equal(originAllowed('http://evil.localhost:8913', 'localhost:8913', none, false), false);
    assert.equal(originAllowed('null', 'localhost:8913', none, false), false);
    assert.equal(originAllowed('https://evil.example', 'localhost:8913', none, false), false);
  });

  it('honours the allow-list, and "*" only where a token protects the server', () => {
    assert.equal(
      originAllowed('https://app.example', 'localhost:8913', new Set(['https://app.example']), false),
      true,
    );
    assert.equal(originAllowed('https://any.example', 'localhost:8913', new Set(['*']), false), false);
    assert.equal(originAllowed('https://any.example', 'localhost:8913', new Set(['*']), true), true);
  });
});
