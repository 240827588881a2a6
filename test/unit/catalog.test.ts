import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMcpPodmanError } from '../../src/errors.js';
import { BUILTIN_CATALOG, parseCatalogDocument, readCatalogFile } from '../../src/gateway/catalog.js';
import { defaultPrefix } from '../../src/gateway/catalog-schema.js';
import { hardenedSpec, permissionsOf } from '../../src/gateway/container-spec.js';

describe('catalog', () => {
  it('ships a built-in catalog that validates', async () => {
    const entries = await readCatalogFile(BUILTIN_CATALOG);
    assert.ok(entries.length >= 5);
    for (const e of entries) assert.ok(e.image || e.package, `${e.id} has a source`);
    assert.ok(entries.some((e) => e.id === 'github' && e.env.GITHUB_PERSONAL_ACCESS_TOKEN?.secret));
  });

  it('takes `transport: stdio` as the README writes it, and a bare `http` asks for its port', () => {
    const [stdio] = parseCatalogDocument(
      { entries: [{ id: 's', name: 'S', image: 'i', transport: 'stdio' }] },
      'f',
    );
    assert.deepEqual(stdio!.transport, { type: 'stdio' });
    assert.throws(
      () => parseCatalogDocument({ entries: [{ id: 'h', name: 'H', image: 'i', transport: 'http' }] }, 'f'),
      (err: unknown) => isMcpPodmanError(err) && /entry "h".*transport\.port/s.test(err.message),
    );
  });

  it('names the bad entry and field when validation fails', () => {
    const doc = {
      entries: [
        { id: 'ok', name: 'OK', image: 'docker.io/mcp/time' },
        { id: 'bad', name: 'Bad', image: 'x', transport: { type: 'http' } },
      ],
    };
    assert.throws(
      () => parseCatalogDocument(doc, 'my.yaml'),
      (err: unknown) =>
        isMcpPodmanError(err) &&
        /my\.yaml: entry "bad" \(index 1\)/.test(err.message) &&
        /transport\.port/.test(err.message),
    );
    assert.throws(
      () =>
        parseCatalogDocument(
          { entries: [{ id: 'two', name: 'x', image: 'a', package: { name: 'b' } }] },
          'f',
        ),
      /exactly one of image or package/,
    );
    assert.throws(
      () =>
        parseCatalogDocument(
          {
            entries: [
              { id: 'dup', name: 'a', image: 'a' },
              { id: 'dup', name: 'b', image: 'b' },
            ],
          },
          'f',
        ),
      /repeats the id "dup"/,
    );
    assert.throws(
      () =>
        parseCatalogDocument(
          { entries: [{ id: 's', name: 's', image: 'a', env: { K: { secret: true, default: 'x' } } }] },
          'f',
        ),
      /secret variable cannot have a default/,
    );
    assert.throws(() => parseCatalogDocument('just text', 'f'), /expected a list of entries/);
  });

  it("vouches for a tool's annotations only where the operator's entry names it", async () => {
    const entries = await readCatalogFile(BUILTIN_CATALOG);
    const fs = entries.find((e) => e.id === 'filesystem')!;
    assert.ok(fs.readOnlyTools.includes('read_text_file') && !fs.readOnlyTools.includes('write_file'));
    assert.deepEqual(entries.find((e) => e.id === 'github')!.readOnlyTools, [], 'none unless named');
    // A server.json is the publisher's document: whatever it says, the entry made from it vouches for nothing.
    const [imported] = parseCatalogDocument(
      {
        name: 'io.example/claims',
        readOnlyTools: ['wipe'],
        nonDestructiveTools: ['wipe'],
        packages: [{ registryType: 'oci', identifier: 'example/claims:1', readOnlyTools: ['wipe'] }],
      },
      'server.json',
    );
    assert.deepEqual([imported!.readOnlyTools, imported!.nonDestructiveTools], [[], []]);
  });

  it('imports an official registry server.json (npm and oci packages)', () => {
    const [npm] = parseCatalogDocument(
      {
        name: 'io.github.example/weather',
        description: 'Weather',
        version: '1.2.3',
        packages: [
          { registryType: 'pypi', identifier: 'weather-mcp', version: '1.2.3' },
          {
            registryType: 'npm',
            identifier: '@example/weather-mcp',
            version: '1.2.3',
            transport: { type: 'stdio' },
            packageArguments: [
              { type: 'positional', value: 'serve' },
              { type: 'named', name: '--units', value: 'metric' },
            ],
            environmentVariables: [
              { name: 'WEATHER_API_KEY', isRequired: true, isSecret: true },
              { name: 'WEATHER_REGION', default: 'eu' },
            ],
          },
        ],
      },
      'server.json',
    );
    assert.deepEqual(npm!.package, { name: '@example/weather-mcp', version: '1.2.3' });
    assert.deepEqual(npm!.args, ['serve', '--units', 'metric']);
    assert.equal(npm!.env.WEATHER_API_KEY?.required, true);
    assert.equal(npm!.env.WEATHER_API_KEY?.secret, true);
    assert.equal(npm!.env.WEATHER_REGION?.default, 'eu');
    assert.equal(npm!.id, 'io.github.example/weather');

    const [oci] = parseCatalogDocument(
      {
        name: 'io.github.example/http',
        packages: [
          {
            registryType: 'oci',
            identifier: 'ghcr.io/example/http-mcp',
            version: '2.0.0',
            transport: { type: 'streamable-http', url: 'http://localhost:9000/mcp' },
          },
        ],
      },
      'server.json',
    );
    assert.equal(oci!.image, 'ghcr.io/example/http-mcp:2.0.0');
    assert.deepEqual(oci!.transport, { type: 'http', port: 9000, path: '/mcp' });

    assert.throws(
      () =>
        parseCatalogDocument(
          { name: 'x/y', packages: [{ registryType: 'pypi', identifier: 'p' }] },
          'server.json',
        ),
      /no package mcp-podman can run \(found: pypi\)/,
    );
  });

  it('builds a hardened spec and relaxes only what an entry declares', () => {
    const [entry] = parseCatalogDocument(
      { entries: [{ id: 'mcp/server-thing', name: 'T', image: 'docker.io/mcp/thing:1' }] },
      'f',
    );
    assert.equal(defaultPrefix(entry!), 'thing');
    const spec = hardenedSpec({
      entry: entry!,
      prefix: 'thing',
      gatewayId: 'g',
      image: 'docker.io/mcp/thing:1',
      env: {},
      secretEnv: {},
      volumes: [],
      name: 'n',
    });
    assert.deepEqual(spec.cap_drop, ['ALL']);
    assert.equal(spec.no_new_privileges, true);
    assert.equal(spec.read_only_filesystem, true);
    assert.deepEqual(spec.netns, { nsmode: 'none' });
    assert.equal(spec.init, true);
    assert.equal((spec.resource_limits as { pids: { limit: number } }).pids.limit, 128);
    assert.equal((spec.labels as Record<string, string>)['io.mcp-podman.managed'], 'true');

    const [relaxed] = parseCatalogDocument(
      {
        entries: [
          {
            id: 'r',
            name: 'R',
            image: 'a',
            network: 'bridge',
            relax: { readOnlyRootfs: false, capAdd: ['NET_BIND_SERVICE'] },
            volumes: [{ source: '/srv', target: '/data' }],
          },
        ],
      },
      'f',
    );
    const rspec = hardenedSpec({
      entry: relaxed!,
      prefix: 'r',
      gatewayId: 'g',
      image: 'a',
      env: {},
      secretEnv: {},
      volumes: [{ source: '/srv', target: '/data', writable: false }],
      name: 'n',
    });
    assert.equal(rspec.read_only_filesystem, false);
    assert.deepEqual(rspec.cap_add, ['NET_BIND_SERVICE']);
    assert.deepEqual(rspec.netns, { nsmode: 'bridge' });
    const mounts = rspec.mounts as { destination: string; options: string[] }[];
    assert.deepEqual(
      mounts.find((m) => m.destination === '/data')?.options,
      ['ro'],
      'volumes are read-only unless declared writable',
    );
    const allowed = permissionsOf(relaxed!, [{ source: '/srv', target: '/data', writable: false }]);
    assert.equal(allowed.network, 'bridge');
    assert.match(String(allowed.rootFilesystem), /writable/);
  });
});

describe('service templates', () => {
  it('the built-in catalog carries an nginx template next to its entries', async () => {
    const { loadTemplates } = await import('../../src/api/templates.js');
    const { loadCatalog } = await import('../../src/gateway/catalog.js');
    const catalog = await loadCatalog({ files: [], builtin: true });
    const store = await loadTemplates({ catalog, catalogFiles: [BUILTIN_CATALOG] });
    const nginx = store.get('nginx');
    assert.equal(nginx.view.kind, 'http');
    assert.equal(nginx.view.port, 80);
    assert.equal(store.get('everything').view.kind, 'mcp-stdio', 'catalog entries are templates too');
  });
});
