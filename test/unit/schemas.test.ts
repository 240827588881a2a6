import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invalidArguments } from '../../src/server/local-tools.js';
import {
  containerRef,
  isImageReference,
  objectName,
  parsePort,
  parseVolume,
} from '../../src/tools/schemas.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parsePort', () => {
  it('reads the forms Podman accepts', () => {
    assert.deepEqual(parsePort('80'), { container_port: 80, protocol: 'tcp' });
    assert.deepEqual(parsePort('8080:80'), { host_port: 8080, container_port: 80, protocol: 'tcp' });
    assert.deepEqual(parsePort('127.0.0.1:8080:80/udp'), {
      host_ip: '127.0.0.1',
      host_port: 8080,
      container_port: 80,
      protocol: 'udp',
    });
    assert.deepEqual(parsePort('[::1]:8080:80/sctp'), {
      host_ip: '::1',
      host_port: 8080,
      container_port: 80,
      protocol: 'sctp',
    });
    assert.deepEqual(parsePort('127.0.0.1::80'), {
      host_ip: '127.0.0.1',
      container_port: 80,
      protocol: 'tcp',
    });
    assert.deepEqual(parsePort('65535:1'), { host_port: 65535, container_port: 1, protocol: 'tcp' });
  });

  it('refuses out-of-range ports, bad addresses, ranges, protocols and junk', () => {
    for (const spec of [
      '',
      '0',
      '65536',
      '0:80',
      '80:0',
      '99999:80',
      '256.0.0.1:80:80',
      '1.2.3:80:80',
      '80:80:80',
      '8080-8090:80',
      '80/icmp',
      '80/TCP',
      ' 80',
      '80 ',
      '-1',
      '1e3',
      '0x50',
      'http:80',
      '$(id):80',
    ]) {
      assert.equal(parsePort(spec), undefined, JSON.stringify(spec));
    }
  });
});

describe('parseVolume', () => {
  it('reads binds, named volumes and options', () => {
    assert.deepEqual(parseVolume('/srv/data:/data'), {
      kind: 'bind',
      source: '/srv/data',
      destination: '/data',
      options: [],
    });
    assert.deepEqual(parseVolume('/srv:/srv:ro,Z'), {
      kind: 'bind',
      source: '/srv',
      destination: '/srv',
      options: ['ro', 'Z'],
    });
    assert.deepEqual(parseVolume('cache.v2:/cache:rw'), {
      kind: 'named',
      name: 'cache.v2',
      destination: '/cache',
      options: ['rw'],
    });
  });

  it('refuses traversal, relative destinations, unknown options and odd names', () => {
    for (const spec of [
      '',
      '/data',
      'data',
      'vol:data',
      'vol:',
      ':/data',
      '/a/../etc:/x',
      '/..:/x',
      '/a:/b:bogus',
      '/a:/b:ro,',
      'a:/b:ro:z',
      '-rf:/x',
      '*:/x',
      '.hidden:/x',
      '/x\u0000y:/y',
      '/x:/y\u0000',
      'C:\\data:/data',
      'vol name:/data',
    ]) {
      assert.equal(parseVolume(spec), undefined, JSON.stringify(spec));
    }
  });
});

describe('isImageReference', () => {
  it('accepts names, registries with ports, tags, digests and ids', () => {
    for (const ref of [
      'nginx',
      'nginx:1.27',
      'docker.io/library/nginx:1.27-alpine',
      'localhost:5000/team/app:v1.0',
      'registry.example.com/a/b/c',
      `nginx@${DIGEST}`,
      `quay.io/x/y:1@${DIGEST}`,
      '[::1]:5000/app:1',
      'a__b/c--d',
      'a'.repeat(12),
      `${'0'.repeat(64)}`,
      DIGEST,
    ]) {
      assert.ok(isImageReference(ref), ref);
    }
  });

  it('refuses blanks, wildcards, uppercase repositories, flags and traversal', () => {
    for (const ref of [
      '',
      ' ',
      '*',
      'nginx*',
      'NGINX',
      'nginx:',
      'nginx:-tag',
      `nginx:${'t'.repeat(129)}`,
      'a//b',
      '/nginx',
      'nginx/',
      '-rf',
      '../x',
      'a b',
      'nginx@sha256:short',
      'nginx;id',
      '$(id)',
    ]) {
      assert.equal(isImageReference(ref), false, JSON.stringify(ref));
    }
  });
});

describe('containerRef and objectName', () => {
  it('accept names and ids', () => {
    for (const v of ['web', 'a', 'a.b-c_d', '9abc', 'a'.repeat(253)]) {
      assert.equal(containerRef.safeParse(v).success, true, v);
      assert.equal(objectName.safeParse(v).success, true, v);
    }
  });

  it('refuse anything that could widen a destructive call, with the INVALID_CONTAINER_NAME code', () => {
    for (const v of [
      '',
      ' ',
      '*',
      'web*',
      'we?b',
      '[a]',
      '{a}',
      '.',
      '..',
      '.x',
      '-rf',
      '_x',
      'a b',
      'a/b',
      'ä',
      'a\u0000',
    ]) {
      const parsed = containerRef.safeParse(v);
      assert.equal(parsed.success, false, JSON.stringify(v));
      assert.equal(
        invalidArguments('podman_rm', parsed.error!).code,
        'INVALID_CONTAINER_NAME',
        JSON.stringify(v),
      );
      assert.equal(objectName.safeParse(v).success, /^[a-zA-Z0-9][\w.-]*$/.test(v) && v.length <= 253, v);
    }
    for (const v of ['a'.repeat(254), 42, null, undefined, ['web'], { name: 'web' }]) {
      assert.equal(containerRef.safeParse(v).success, false, JSON.stringify(v));
    }
  });
});
