import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { BUSYBOX, ensureBusybox } from './helpers/images.js';
import {
  call,
  callWithProgress as callWithWireProgress,
  connectStdio,
  errorOf,
  type StdioServer,
  textOf,
} from './helpers/mcp.js';
import { startPodman, type TestPodman } from './helpers/podman.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';

const PREFIX = 'localhost/mcpp-images';
const REGISTRY_USER = 'mcpp-user';
const REGISTRY_PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const WRONG_PASSWORD = `wrong-${randomBytes(8).toString('hex')}`;

/** Containers that only exist in storage: buildah's working containers. Returns how many remain. */
async function waitForNoBuildContainers(podman: TestPodman): Promise<number> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const external = await podman.client.json<unknown[]>('GET', '/libpod/containers/json', {
      query: { all: true, external: true },
    });
    if (external.length === 0 || Date.now() > deadline) return external.length;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('image build, tag, push, history and prune against a real Podman and local registries', () => {
  let podman: TestPodman;
  let server: StdioServer;
  let registry: TestRegistry;
  let authRegistry: TestRegistry;
  let decoy: DecoyRegistry;

  before(async () => {
    podman = await startPodman();
    await ensureBusybox();
    registry = await startRegistry();
    authRegistry = await startRegistry({ auth: { username: REGISTRY_USER, password: REGISTRY_PASSWORD } });
    // Each credential may go only to the registry it is for; a fake registry gets none of them.
    decoy = await startDecoyRegistry();
    const bindings = ['PASSWORD', 'WRONG', 'UNSET'].map(
      (n) => `MCP_PODMAN_REGISTRY_${n}=${authRegistry.host}`,
    );
    bindings.push(`secret:mcpp-registry-password=${authRegistry.host}`);
    bindings.push(`secret:mcpp-no-such-secret=${authRegistry.host}`);
    server = await connectStdio(['--socket-path', podman.socketPath, '--log-level', 'warn'], {
      MCP_PODMAN_REGISTRY_PASSWORD: REGISTRY_PASSWORD,
      MCP_PODMAN_REGISTRY_WRONG: WRONG_PASSWORD,
      MCP_PODMAN_REGISTRY_UNBOUND: REGISTRY_PASSWORD,
      MCP_PODMAN_CREDENTIAL_REGISTRIES: bindings.join(';'),
      // Build contexts are host folders: the tests' temp folders are shared, nothing else.
      MCP_PODMAN_BIND_ROOTS: tmpdir(),
    });
  });

  after(async () => {
    await server?.close();
    const leftovers = await podman.sweep();
    // A cancelled build's RUN step runs to its end before Podman removes the build's working
    // container; wait for that instead of killing Podman under it.
    const building = await waitForNoBuildContainers(podman);
    const images = await podman.client.json<{ Names?: string[] }[]>('GET', '/libpod/images/json');
    const ours = images.flatMap((i) => i.Names ?? []).filter((n) => n.includes('mcpp-images'));
    for (const name of ours)
      await podman.client.call('DELETE', `/libpod/images/${encodeURIComponent(name)}`).catch(() => undefined);
    await registry?.stop();
    await authRegistry?.stop();
    await decoy?.stop();
    await podman.stop();
    assert.equal(leftovers, 0, 'tests must remove every container they create');
    assert.equal(building, 0, 'Podman must remove the working containers of cancelled builds');
    assert.deepEqual(ours, [], 'tests must remove every image they tag');
  });

  /** Calls a tool with a progress token and collects the progress notifications. */
  async function callWithProgress(name: string, args: Record<string, unknown>) {
    const { result, progress } = await callWithWireProgress(server.client, name, args);
    return { result: result as Awaited<ReturnType<typeof call>>, progress };
  }

  async function runOutput(image: string, command: string[]): Promise<string> {
    const run = await call(server.client, 'podman_run', { image, command, detach: false, remove: true });
    assert.equal(run.isError, undefined, textOf(run));
    assert.equal(run.structuredContent!.exitCode, 0, textOf(run));
    return run.structuredContent!.output as string;
  }

  async function imageExists(ref: string): Promise<boolean> {
    const status = await podman.client
      .call('GET', `/libpod/images/${encodeURIComponent(ref)}/exists`)
      .catch(() => 404);
    return status === 204;
  }

  async function removeImage(ref: string): Promise<void> {
    const rm = await call(server.client, 'podman_image_rm', { image: ref, force: true });
    assert.equal(rm.isError, undefined, textOf(rm));
  }

  it('lists the build, push and prune tools with full annotations and credentials only by reference', async () => {
    const { tools } = await server.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const n of [
      'podman_build',
      'podman_tag',
      'podman_untag',
      'podman_push',
      'podman_image_history',
      'podman_image_prune',
    ]) {
      assert.ok(byName.has(n), `missing ${n}`);
    }
    assert.equal(byName.get('podman_image_prune')!.annotations?.destructiveHint, true);
    assert.equal(byName.get('podman_image_history')!.annotations?.readOnlyHint, true);
    assert.equal(byName.get('podman_push')!.annotations?.openWorldHint, true);
    const creds = (byName.get('podman_push')!.inputSchema.properties as Record<string, any>).credentials;
    assert.deepEqual(Object.keys(creds.properties).sort(), ['passwordEnv', 'passwordSecret', 'username']);
    assert.equal(creds.additionalProperties, false);
  });

  it('builds from an inline Containerfile with progress notifications, and the image runs', async () => {
    const tag = `${PREFIX}/inline:1`;
    const { result, progress } = await callWithProgress('podman_build', {
      containerfileText: `FROM ${BUSYBOX}\nRUN echo built-inline > /built\nCMD ["cat", "/built"]\n`,
      tags: [tag],
      labels: { 'org.example.kind': 'inline' },
    });
    assert.equal(result.isError, undefined, textOf(result));
    assert.match(result.structuredContent!.id, /^[0-9a-f]{64}$/);
    assert.match(result.structuredContent!.log, /STEP 2\/\d+: RUN echo built-inline/);
    assert.ok(progress.length >= 3, `expected build progress, got ${progress.length}`);
    assert.ok(progress.some((p) => /^STEP 1\//.test(p.message ?? '')));
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.progress > progress[i - 1]!.progress);

    const inspect = await call(server.client, 'podman_image_inspect', { image: tag });
    assert.equal(inspect.structuredContent!.image.Id, result.structuredContent!.id);
    assert.equal(inspect.structuredContent!.image.Config.Labels['io.mcp-podman.managed'], 'true');
    assert.equal(inspect.structuredContent!.image.Config.Labels['org.example.kind'], 'inline');
    assert.equal(await runOutput(tag, []), 'built-inline\n');
    await removeImage(tag);
  });

  it('builds from a context directory with COPY, build args and a Containerfile path, honouring .containerignore', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcpp-build-ctx-'));
    const tag = `${PREFIX}/context:1`;
    try {
      await mkdir(join(dir, 'data'));
      await mkdir(join(dir, 'build'));
      await writeFile(join(dir, 'hello.txt'), 'hello from the context\n');
      await writeFile(join(dir, 'data/keep.txt'), 'keep');
      await writeFile(join(dir, 'data/skip-me.txt'), 'skip');
      await writeFile(join(dir, 'private.key'), 'not for images');
      // The Containerfile's own folder is excluded too: it is still sent, as `podman build` does.
      await writeFile(join(dir, '.containerignore'), 'private.key\ndata/skip*\nbuild\n');
      await writeFile(
        join(dir, 'build/App.containerfile'),
        `FROM ${BUSYBOX}\nARG GREETING=unset\nCOPY . /ctx/\nRUN echo "$GREETING" > /greeting\n`,
      );
      const { result } = await callWithProgress('podman_build', {
        contextDir: dir,
        containerfile: 'build/App.containerfile',
        tags: [tag],
        buildArgs: { GREETING: 'hi-from-arg' },
      });
      assert.equal(result.isError, undefined, textOf(result));
      const listing = await runOutput(tag, [
        'sh',
        '-c',
        'cat /greeting /ctx/hello.txt; ls -A /ctx /ctx/data',
      ]);
      assert.match(listing, /^hi-from-arg\nhello from the context\n/);
      assert.match(listing, /keep\.txt/);
      assert.doesNotMatch(listing, /skip-me|private\.key|build/);
      await removeImage(tag);

      const missing = await call(server.client, 'podman_build', {
        contextDir: dir,
        containerfile: 'no/such/Containerfile',
        tags: [tag],
      });
      assert.equal(errorOf(missing).code, 'INVALID_PARAMS');
      const escaping = await call(server.client, 'podman_build', {
        contextDir: dir,
        containerfile: '../outside',
        tags: [tag],
      });
      assert.equal(errorOf(escaping).code, 'INVALID_PARAMS');
      const hostNetwork = errorOf(
        await call(server.client, 'podman_build', {
          containerfileText: `FROM ${BUSYBOX}\n`,
          tags: [tag],
          network: 'host',
        }),
      );
      assert.equal(hostNetwork.code, 'FORBIDDEN');
      assert.match(hostNetwork.message, /--allow-host-network/);
      const hostFolder = errorOf(
        await call(server.client, 'podman_build', { contextDir: '/etc', tags: [tag] }),
      );
      assert.equal(hostFolder.code, 'FORBIDDEN');
      assert.match(hostFolder.message, /This build builds from host path \/etc, which is outside/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a failing build as a coded error with the log tail, and tags nothing', async () => {
    const tag = `${PREFIX}/failing:1`;
    const res = await call(server.client, 'podman_build', {
      containerfileText: `FROM ${BUSYBOX}\nRUN echo about-to-fail && exit 7\n`,
      tags: [tag],
    });
    const error = errorOf(res);
    assert.equal(error.code, 'PODMAN_ERROR');
    assert.match(error.message, /exit status 7/);
    assert.match(String(error.details.log), /about-to-fail/);
    assert.equal(await imageExists(tag), false);

    const noBase = await call(server.client, 'podman_build', {
      containerfileText: 'FROM localhost/mcpp-no-such-base:1\n',
      tags: [tag],
      pull: 'never',
    });
    assert.equal(errorOf(noBase).code, 'IMAGE_NOT_FOUND');
    const nothing = await call(server.client, 'podman_build', { tags: [tag] });
    assert.equal(errorOf(nothing).code, 'INVALID_PARAMS');
  });

  it('cancels a long build from the client; the build never completes and Podman stays healthy', async () => {
    const tag = `${PREFIX}/cancelled:1`;
    const controller = new AbortController();
    const progress: Progress[] = [];
    const pending = server.client.callTool(
      {
        name: 'podman_build',
        arguments: { containerfileText: `FROM ${BUSYBOX}\nRUN echo sleeping && sleep 30\n`, tags: [tag] },
      },
      undefined,
      {
        signal: controller.signal,
        onprogress: (p) => {
          progress.push(p);
          // Cancel once the RUN step is under way.
          if (/sleeping/.test(p.message ?? '')) controller.abort();
        },
      },
    );
    await assert.rejects(
      pending,
      (err: Error) => err.name === 'AbortError' || /abort|cancel/i.test(err.message),
    );
    assert.ok(
      progress.some((p) => /sleeping/.test(p.message ?? '')),
      'the RUN step had started',
    );
    // Had the call waited for the build, the 30 s RUN would have finished and the tag would exist.
    assert.equal(await imageExists(tag), false);

    const again = await call(server.client, 'podman_build', {
      containerfileText: `FROM ${BUSYBOX}\nRUN echo after-cancel > /after\n`,
      tags: [`${PREFIX}/after-cancel:1`],
    });
    assert.equal(again.isError, undefined, textOf(again));
    assert.equal(await imageExists(tag), false);
    await removeImage(`${PREFIX}/after-cancel:1`);
  });

  it('tags and untags, with coded errors for unknown images and names', async () => {
    const target = `${PREFIX}/tagged:a`;
    const tag = await call(server.client, 'podman_tag', { image: BUSYBOX, target });
    assert.equal(tag.isError, undefined, textOf(tag));
    let inspect = await call(server.client, 'podman_image_inspect', { image: BUSYBOX });
    assert.ok(inspect.structuredContent!.image.RepoTags.includes(target));

    const untag = await call(server.client, 'podman_untag', { image: BUSYBOX, ref: target });
    assert.equal(untag.isError, undefined, textOf(untag));
    inspect = await call(server.client, 'podman_image_inspect', { image: BUSYBOX });
    assert.ok(!inspect.structuredContent!.image.RepoTags.includes(target));
    assert.ok(inspect.structuredContent!.image.RepoTags.includes(BUSYBOX), 'the image itself stays');

    assert.equal(
      errorOf(await call(server.client, 'podman_untag', { image: BUSYBOX, ref: target })).code,
      'NOT_FOUND',
    );
    assert.equal(
      errorOf(await call(server.client, 'podman_tag', { image: 'localhost/mcpp-nope:1', target })).code,
      'IMAGE_NOT_FOUND',
    );
    for (const bad of ['', 'NoUpperCase', `${PREFIX}/x@sha256:${'a'.repeat(64)}`, 'a'.repeat(64)]) {
      assert.equal(
        errorOf(await call(server.client, 'podman_tag', { image: BUSYBOX, target: bad })).code,
        'INVALID_PARAMS',
        bad,
      );
    }
  });

  it('pushes to a local registry with progress, then pulls the image back after removing it', async () => {
    const local = `${PREFIX}/roundtrip:1`;
    const marker = `marker-${randomBytes(6).toString('hex')}`;
    const built = await call(server.client, 'podman_build', {
      containerfileText: `FROM ${BUSYBOX}\nRUN echo ${marker} > /marker\nCMD ["cat", "/marker"]\n`,
      tags: [local],
    });
    assert.equal(built.isError, undefined, textOf(built));
    const remote = `${registry.host}/mcpp-images/roundtrip:1`;

    const plainTls = await call(server.client, 'podman_push', { image: local, destination: remote });
    assert.match(errorOf(plainTls).message, /tlsVerify=false/);

    const { result: pushed, progress: pushProgress } = await callWithProgress('podman_push', {
      image: local,
      destination: remote,
      tlsVerify: false,
    });
    assert.equal(pushed.isError, undefined, textOf(pushed));
    assert.ok(pushProgress.length > 0, 'push sent progress');
    const tags = (await (
      await fetch(`http://${registry.host}/v2/mcpp-images/roundtrip/tags/list`)
    ).json()) as {
      tags: string[];
    };
    assert.deepEqual(tags.tags, ['1']);

    await removeImage(local);
    assert.equal(await imageExists(built.structuredContent!.id), false, 'the image is gone locally');

    const { result: pulled, progress: pullProgress } = await callWithProgress('podman_pull', {
      image: remote,
      tlsVerify: false,
    });
    assert.equal(pulled.isError, undefined, textOf(pulled));
    assert.ok(pullProgress.length > 0, 'pull sent progress');
    assert.equal(pulled.structuredContent!.id, built.structuredContent!.id);
    assert.equal(await runOutput(remote, []), `${marker}\n`);
    await removeImage(remote);

    const missing = await call(server.client, 'podman_push', {
      image: 'localhost/mcpp-images/never-built:1',
      destination: `${registry.host}/mcpp-images/never:1`,
      tlsVerify: false,
    });
    assert.equal(errorOf(missing).code, 'IMAGE_NOT_FOUND');
  });

  it('pushes with credentials given by reference, and never shows the password', async () => {
    const local = `${PREFIX}/private:1`;
    const tagged = await call(server.client, 'podman_tag', { image: BUSYBOX, target: local });
    assert.equal(tagged.isError, undefined, textOf(tagged));
    const destination = `${authRegistry.host}/mcpp-images/private:1`;
    const seen: string[] = [];
    const push = async (credentials?: Record<string, unknown>) => {
      const { result, progress } = await callWithProgress('podman_push', {
        image: local,
        destination,
        tlsVerify: false,
        ...(credentials ? { credentials } : {}),
      });
      seen.push(JSON.stringify(result), JSON.stringify(progress));
      return result;
    };
    try {
      assert.equal(errorOf(await push()).code, 'UNAUTHORIZED');
      assert.equal(
        errorOf(await push({ username: REGISTRY_USER, passwordEnv: 'MCP_PODMAN_REGISTRY_WRONG' })).code,
        'UNAUTHORIZED',
      );
      assert.equal(
        errorOf(await push({ username: REGISTRY_USER, passwordEnv: 'MCP_PODMAN_REGISTRY_UNSET' })).code,
        'INVALID_PARAMS',
      );
      // Only MCP_PODMAN_REGISTRY_* variables can be sent to a registry.
      assert.equal(
        errorOf(await push({ username: REGISTRY_USER, passwordEnv: 'HOME' })).code,
        'INVALID_PARAMS',
      );
      assert.equal(
        errorOf(
          await push({ username: REGISTRY_USER, password: REGISTRY_PASSWORD } as Record<string, unknown>),
        ).code,
        'INVALID_PARAMS',
      );
      const ok = await push({ username: REGISTRY_USER, passwordEnv: 'MCP_PODMAN_REGISTRY_PASSWORD' });
      assert.equal(ok.isError, undefined, textOf(ok));

      const secret = await call(server.client, 'podman_secret_create', {
        name: 'mcpp-registry-password',
        value: REGISTRY_PASSWORD,
      });
      assert.equal(secret.isError, undefined, textOf(secret));
      const bySecret = await push({ username: REGISTRY_USER, passwordSecret: 'mcpp-registry-password' });
      const version = await podman.client.ping();
      const [major = 0, minor = 0] = version.split('.').map(Number);
      if (major > 4 || (major === 4 && minor >= 5)) {
        assert.equal(bySecret.isError, undefined, textOf(bySecret));
      } else {
        const error = errorOf(bySecret);
        assert.equal(error.code, 'UNAVAILABLE');
        assert.match(error.message, /passwordEnv/);
      }
      assert.equal(
        errorOf(await push({ username: REGISTRY_USER, passwordSecret: 'mcpp-no-such-secret' })).code,
        'SECRET_NOT_FOUND',
      );
    } finally {
      await call(server.client, 'podman_secret_rm', { secret: 'mcpp-registry-password' });
      await call(server.client, 'podman_untag', { image: BUSYBOX, ref: local });
    }
    for (const text of [...seen, server.stderr()]) {
      assert.ok(!text.includes(REGISTRY_PASSWORD), 'the password leaked');
      assert.ok(!text.includes(WRONG_PASSWORD), 'the wrong password leaked');
    }
  });

  it('refuses to send a credential to a registry it is not bound to, and that registry sees no login', async () => {
    const local = `${PREFIX}/decoy:1`;
    const tagged = await call(server.client, 'podman_tag', { image: BUSYBOX, target: local });
    assert.equal(tagged.isError, undefined, textOf(tagged));
    const seen: string[] = [];
    try {
      const attempts: [Record<string, unknown>, RegExp][] = [
        // The operator's password, bound to authRegistry, sent to another port of the same host.
        [
          { destination: `${decoy.host}/mcpp-images/decoy:1`, passwordEnv: 'MCP_PODMAN_REGISTRY_PASSWORD' },
          /is for/,
        ],
        // A variable no binding names is sent nowhere, not even to a bound registry.
        [
          {
            destination: `${authRegistry.host}/mcpp-images/decoy:1`,
            passwordEnv: 'MCP_PODMAN_REGISTRY_UNBOUND',
          },
          /not bound/,
        ],
        [
          { destination: `${decoy.host}/mcpp-images/decoy:1`, passwordSecret: 'mcpp-registry-password' },
          /is for/,
        ],
      ];
      for (const [attempt, message] of attempts) {
        const { destination, ...reference } = attempt;
        const result = await call(server.client, 'podman_push', {
          image: local,
          destination,
          tlsVerify: false,
          credentials: { username: REGISTRY_USER, ...reference },
        });
        seen.push(JSON.stringify(result));
        assert.deepEqual(decoy.requests(), [], 'the decoy registry was contacted');
        const error = errorOf(result);
        assert.equal(error.code, 'FORBIDDEN', JSON.stringify(attempt));
        assert.match(error.message, message);
        assert.match(error.message, /registryCredentials/);
      }
      // A short name goes to docker.io, which no credential here is bound to.
      const hub = errorOf(
        await call(server.client, 'podman_push', {
          image: local,
          destination: 'mcpp-images/decoy:1',
          credentials: { username: REGISTRY_USER, passwordEnv: 'MCP_PODMAN_REGISTRY_PASSWORD' },
        }),
      );
      assert.equal(hub.code, 'FORBIDDEN');
      assert.match(hub.message, /not for docker\.io/);
      assert.deepEqual(decoy.requests(), [], 'the decoy registry was contacted');
    } finally {
      await call(server.client, 'podman_untag', { image: BUSYBOX, ref: local });
    }
    for (const text of [...seen, server.stderr()])
      assert.ok(!text.includes(REGISTRY_PASSWORD), 'the password leaked');
  });

  it('cancels a pull from a registry that never answers, and the server answers the next call', async () => {
    const sockets = new Set<Socket>();
    let connections = 0;
    const silent = createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const controller = new AbortController();
      const progress: Progress[] = [];
      const pull = server.client.callTool(
        { name: 'podman_pull', arguments: { image: `127.0.0.1:${port}/mcpp/hangs:1`, tlsVerify: false } },
        undefined,
        { signal: controller.signal, onprogress: (p) => progress.push(p) },
      );
      // Cancel once Podman is talking to the registry, and so is inside the pull.
      for (let i = 0; i < 200 && connections === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(connections > 0, 'Podman did contact the silent registry');
      controller.abort();
      await assert.rejects(
        pull,
        (err: Error) => err.name === 'AbortError' || /abort|cancel/i.test(err.message),
      );

      const next = await call(server.client, 'podman_images', { filters: { reference: BUSYBOX } });
      assert.equal(next.isError, undefined, textOf(next));
      assert.equal(next.structuredContent!.count, 1);
      const ping = await call(server.client, 'podman_info');
      assert.equal(ping.isError, undefined, textOf(ping));
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('refuses a Containerfile or ignore file symlinked out of the context, with one answer whatever lies there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcpp-build-link-'));
    const outside = await mkdtemp(join(tmpdir(), 'mcpp-build-outside-'));
    const leak = `leaked-host-line-${randomBytes(4).toString('hex')}`;
    const tag = `${PREFIX}/linked:1`;
    try {
      await writeFile(join(outside, 'host-file'), `FROM ${leak}\n`);
      await mkdir(join(dir, 'build'));
      await symlink(outside, join(dir, 'out'));
      const attempts: [string, string, Record<string, unknown>][] = [
        ['Containerfile', join(outside, 'host-file'), {}],
        ['Containerfile', join(outside, 'absent'), {}],
        ['Dockerfile', join(outside, 'host-file'), {}],
        ['build/Named', join(outside, 'host-file'), { containerfile: 'build/Named' }],
        ['build/Via', '', { containerfile: 'out/host-file' }],
        ['.containerignore', join(outside, 'host-file'), { containerfileText: `FROM ${BUSYBOX}\n` }],
      ];
      const answers = new Set<string>();
      for (const [name, target, args] of attempts) {
        if (target) await symlink(target, join(dir, name));
        const res = await call(server.client, 'podman_build', {
          contextDir: dir,
          tags: [tag],
          pull: 'never',
          ...args,
        });
        assert.equal(errorOf(res).code, 'FORBIDDEN', `${name}: ${textOf(res)}`);
        assert.ok(!JSON.stringify(res).includes(leak), JSON.stringify(res));
        answers.add(errorOf(res).message.replace(/^The [a-z ]+ "[^"]+" leads/, 'The <file> leads'));
        if (target) await rm(join(dir, name));
      }
      assert.equal(answers.size, 1, [...answers].join('\n'));

      // A symlink that stays in the context is fine: Podman is handed the file it leads to.
      await writeFile(join(dir, 'build/real.containerfile'), `FROM ${BUSYBOX}\nRUN echo linked > /linked\n`);
      await symlink('build/real.containerfile', join(dir, 'Containerfile'));
      const built = await call(server.client, 'podman_build', {
        contextDir: dir,
        tags: [tag],
        pull: 'never',
      });
      assert.equal(built.isError, undefined, textOf(built));
      assert.equal(await runOutput(tag, ['cat', '/linked']), 'linked\n');
      await removeImage(tag);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('shows image history, bounded by limit', async () => {
    const tag = `${PREFIX}/history:1`;
    const built = await call(server.client, 'podman_build', {
      containerfileText: `FROM ${BUSYBOX}\nRUN echo one > /one\nRUN echo two > /two\n`,
      tags: [tag],
    });
    assert.equal(built.isError, undefined, textOf(built));
    const history = await call(server.client, 'podman_image_history', { image: tag });
    assert.equal(history.isError, undefined, textOf(history));
    const createdBy: string[] = history.structuredContent!.layers.map(
      (l: { createdBy: string }) => l.createdBy,
    );
    const two = createdBy.findIndex((c) => /echo two/.test(c));
    const one = createdBy.findIndex((c) => /echo one/.test(c));
    assert.ok(two >= 0 && one > two, `newest first: ${JSON.stringify(createdBy)}`);
    assert.equal(history.structuredContent!.truncated, false);
    assert.match(textOf(history), /CREATED BY/);

    const first = await call(server.client, 'podman_image_history', { image: tag, limit: 1 });
    assert.equal(first.structuredContent!.count, 1);
    assert.equal(first.structuredContent!.truncated, true);
    assert.equal(
      errorOf(await call(server.client, 'podman_image_history', { image: 'localhost/mcpp-nope:1' })).code,
      'IMAGE_NOT_FOUND',
    );
    await removeImage(tag);
  });

  it('prunes exactly what dryRun listed: dangling images, then with all=true unused tagged ones', async () => {
    const label = `mcpp-prune=${randomBytes(4).toString('hex')}`;
    const [key, value] = label.split('=') as [string, string];
    const tag = `${PREFIX}/prune:1`;
    const buildOnce = async (content: string) => {
      const res = await call(server.client, 'podman_build', {
        containerfileText: `FROM ${BUSYBOX}\nRUN echo ${content} > /content\n`,
        tags: [tag],
        labels: { [key]: value },
      });
      assert.equal(res.isError, undefined, textOf(res));
      return res.structuredContent!.id as string;
    };
    const old = await buildOnce('first');
    const current = await buildOnce('second');
    assert.notEqual(old, current);
    const filters = { label: [label] };
    const ids = (res: Awaited<ReturnType<typeof call>>) =>
      (res.structuredContent!.images as { id: string }[]).map((i) => i.id).sort();

    const dry = await call(server.client, 'podman_image_prune', { dryRun: true, filters });
    assert.equal(dry.isError, undefined, textOf(dry));
    assert.ok(ids(dry).includes(old), 'the rebuilt-over image is dangling');
    assert.ok(!ids(dry).includes(current));
    assert.equal(await imageExists(old), true, 'dryRun removed nothing');
    const real = await call(server.client, 'podman_image_prune', { filters });
    assert.equal(real.isError, undefined, textOf(real));
    assert.deepEqual(ids(real), ids(dry));
    assert.equal(await imageExists(old), false);
    assert.equal(await imageExists(tag), true);

    const dryAll = await call(server.client, 'podman_image_prune', { dryRun: true, all: true, filters });
    assert.ok(ids(dryAll).includes(current));
    assert.equal(await imageExists(tag), true);
    const realAll = await call(server.client, 'podman_image_prune', { all: true, filters });
    assert.deepEqual(ids(realAll), ids(dryAll));
    assert.equal(await imageExists(tag), false);
    assert.equal(await imageExists(BUSYBOX), true, 'images without the label stay');

    const again = await call(server.client, 'podman_image_prune', { dryRun: true, all: true, filters });
    assert.equal(again.structuredContent!.count, 0);
  });
});

interface DecoyRegistry {
  host: string;
  /** Every request it got, with the Authorization header it carried (or none). */
  requests(): { url: string; authorization?: string }[];
  stop(): Promise<void>;
}

/**
 * A registry that asks for a Basic login on every request and records what it receives: without
 * the binding, Podman answers its challenge with the operator's password.
 */
async function startDecoyRegistry(): Promise<DecoyRegistry> {
  const seen: { url: string; authorization?: string }[] = [];
  const server = createHttpServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(401, { 'www-authenticate': 'Basic realm="decoy"', 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"UNAUTHORIZED","message":"login"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests: () => [...seen],
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
