import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialBindings, parseConfig } from '../../src/config/load.js';
import { isMcpPodmanError } from '../../src/errors.js';
import {
  assertCredentialBound,
  credentialedDestination,
  registryHost,
} from '../../src/tools/registry-credentials.js';

describe('registry credential bindings', () => {
  it('finds the registry an image reference goes to, as Podman resolves it', () => {
    const cases: [string, string][] = [
      ['alpine', 'docker.io'],
      ['team/app:1', 'docker.io'],
      ['docker.io/team/app', 'docker.io'],
      ['index.docker.io/team/app', 'docker.io'],
      ['localhost/app', 'localhost'],
      ['localhost:5000/app', 'localhost:5000'],
      ['Quay.IO/team/app:1', 'quay.io'],
      ['quay.io:443/team/app', 'quay.io'],
      ['Evil/app', 'evil'],
      ['127.0.0.1:5001/a/b:c', '127.0.0.1:5001'],
      ['[::1]:5000/app', '[::1]:5000'],
    ];
    for (const [ref, host] of cases) assert.equal(registryHost(ref), host, ref);
  });

  it('sends a credential only to a registry bound to it', () => {
    const bindings = { MCP_PODMAN_REGISTRY_Q: ['Quay.io', 'localhost:5000'], 'secret:hub': ['docker.io'] };
    const check = (
      creds: { passwordEnv?: string; passwordSecret?: string },
      destination: string,
      tlsVerify = true,
    ) => {
      try {
        assertCredentialBound({ creds, destination, bindings, tlsVerify });
        return 'ok';
      } catch (err) {
        assert.ok(isMcpPodmanError(err));
        assert.match(err.message, /registryCredentials|tlsVerify=false/);
        return err.code;
      }
    };
    assert.equal(check({ passwordEnv: 'MCP_PODMAN_REGISTRY_Q' }, 'quay.io/a/b:1'), 'ok');
    assert.equal(check({ passwordEnv: 'MCP_PODMAN_REGISTRY_Q' }, 'localhost:5000/b'), 'ok');
    assert.equal(check({ passwordEnv: 'MCP_PODMAN_REGISTRY_Q' }, 'localhost:5001/b'), 'FORBIDDEN');
    assert.equal(check({ passwordEnv: 'MCP_PODMAN_REGISTRY_Q' }, 'quay.io.evil.example/b'), 'FORBIDDEN');
    assert.equal(check({ passwordEnv: 'MCP_PODMAN_REGISTRY_Q' }, 'b'), 'FORBIDDEN');
    assert.equal(check({ passwordEnv: 'MCP_PODMAN_REGISTRY_OTHER' }, 'quay.io/b'), 'FORBIDDEN');
    assert.equal(check({ passwordSecret: 'hub' }, 'team/app'), 'ok');
    assert.equal(check({ passwordSecret: 'hub' }, 'quay.io/team/app'), 'FORBIDDEN');
    // Without TLS only to this machine: elsewhere anyone on the way would read the password.
    assert.equal(check({ passwordEnv: 'MCP_PODMAN_REGISTRY_Q' }, 'quay.io/a/b:1', false), 'FORBIDDEN');
    assert.equal(check({ passwordEnv: 'MCP_PODMAN_REGISTRY_Q' }, 'localhost:5000/b', false), 'ok');
    // A secret's binding is not an env variable's, whatever the names.
    assert.equal(check({ passwordEnv: 'MCP_PODMAN_REGISTRY_Q' }, 'docker.io/x'), 'FORBIDDEN');
  });

  it('needs a destination naming the registry when the image name does not', () => {
    assert.equal(credentialedDestination('localhost/app:1', undefined), 'localhost/app:1');
    assert.equal(credentialedDestination('app', 'quay.io/app'), 'quay.io/app');
    for (const image of ['app', 'team/app', 'abcdef123456']) {
      assert.throws(() => credentialedDestination(image, undefined), { code: 'INVALID_PARAMS' });
    }
  });

  it('reads bindings from the env form and refuses malformed ones by name', () => {
    assert.deepEqual(credentialBindings(' MCP_PODMAN_REGISTRY_A=quay.io, ghcr.io ;secret:s=localhost:5000'), {
      MCP_PODMAN_REGISTRY_A: ['quay.io', 'ghcr.io'],
      'secret:s': ['localhost:5000'],
    });
    assert.equal(credentialBindings(''), undefined);
    const config = parseConfig({ registryCredentials: credentialBindings('MCP_PODMAN_REGISTRY_A=quay.io') });
    assert.deepEqual(config.registryCredentials, { MCP_PODMAN_REGISTRY_A: ['quay.io'] });
    assert.deepEqual(parseConfig({}).registryCredentials, {});
    for (const bad of ['HOME=quay.io', 'MCP_PODMAN_REGISTRY_A', 'MCP_PODMAN_REGISTRY_A=https://quay.io']) {
      assert.throws(() => parseConfig({ registryCredentials: credentialBindings(bad) }), {
        code: 'INVALID_PARAMS',
        message: /registryCredentials/,
      });
    }
  });
});
