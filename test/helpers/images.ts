import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { podmanCli } from './podman.js';

const run = promisify(execFile);

/** Locally built test images; no registry is reachable, so nothing is pulled. */
export const BUSYBOX = 'localhost/mcp-podman-test/busybox:latest';
export const NODE = 'localhost/mcp-podman-test/node:latest';

async function exists(image: string): Promise<boolean> {
  try {
    await podmanCli(['image', 'exists', image]);
    return true;
  } catch {
    return false;
  }
}

/** A tiny shell image: static busybox with its applets, PATH set (imported images have none). */
export async function ensureBusybox(): Promise<string> {
  if (await exists(BUSYBOX)) return BUSYBOX;
  const dir = await mkdtemp(join(tmpdir(), 'mcp-podman-bb-'));
  try {
    await mkdir(join(dir, 'bin'), { recursive: true });
    for (const d of ['tmp', 'etc', 'root', 'proc', 'sys', 'dev', 'var/www'])
      await mkdir(join(dir, d), { recursive: true });
    await cp('/bin/busybox', join(dir, 'bin/busybox'));
    const { stdout } = await run('/bin/busybox', ['--list']);
    for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox'))
      await symlink('busybox', join(dir, 'bin', applet));
    await writeFile(
      join(dir, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
    );
    await writeFile(join(dir, 'etc/group'), 'root:x:0:\nnobody:x:65534:\n');
    const tarPath = `${dir}.tar`;
    await run('tar', ['-C', dir, '-cf', tarPath, '.']);
    try {
      await podmanCli([
        'import',
        '--change',
        'ENV PATH=/bin',
        '--change',
        'CMD ["/bin/sh"]',
        tarPath,
        BUSYBOX,
      ]);
    } finally {
      await rm(tarPath, { force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return BUSYBOX;
}

/** FROM scratch with the host's node binary, exactly the libraries ldd lists, and busybox. */
export async function ensureNodeImage(): Promise<string> {
  if (await exists(NODE)) return NODE;
  const dir = await mkdtemp(join(tmpdir(), 'mcp-podman-node-'));
  try {
    const node = (await run('readlink', ['-f', process.execPath])).stdout.trim();
    const libs = (await run('ldd', [node])).stdout
      .split('\n')
      .map((l) => /(\/\S+)\s+\(0x/.exec(l)?.[1])
      .filter((p): p is string => Boolean(p));
    const root = join(dir, 'root');
    for (const file of [node, ...libs]) {
      await mkdir(join(root, dirname(file)), { recursive: true });
      await cp(file, join(root, file), { dereference: true });
    }
    await mkdir(join(root, 'usr/local/bin'), { recursive: true });
    if (node !== '/usr/local/bin/node') await symlink(node, join(root, 'usr/local/bin/node'));
    await mkdir(join(root, 'bin'), { recursive: true });
    await cp('/bin/busybox', join(root, 'bin/busybox'));
    for (const a of [
      'sh',
      'ls',
      'cat',
      'echo',
      'sleep',
      'env',
      'wget',
      'true',
      'false',
      'mkdir',
      'rm',
      'ps',
      'kill',
      'nc',
    ]) {
      await symlink('busybox', join(root, 'bin', a));
    }
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(
      join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
    );
    await writeFile(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\nnobody:x:65534:\n');
    await mkdir(join(root, 'tmp'), { mode: 0o1777 });
    await mkdir(join(root, 'home/node'), { recursive: true });
    await mkdir(join(root, 'app'), { recursive: true });
    await writeFile(
      join(dir, 'Containerfile'),
      'FROM scratch\nCOPY root/ /\nRUN ["/bin/busybox", "chmod", "1777", "/tmp"]\nENV PATH=/usr/local/bin:/usr/bin:/bin\nWORKDIR /app\n',
    );
    await podmanCli(['build', '--network', 'none', '-t', NODE, '-f', join(dir, 'Containerfile'), dir]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return NODE;
}

/**
 * An npm MCP server packaged into an image on top of the node image: `npm install` on the host,
 * then COPY node_modules and run the package's bin script.
 */
export async function ensureNpmServerImage(pkg: string, tag: string): Promise<string> {
  const image = `localhost/mcp-podman-test/${tag}:latest`;
  if (await exists(image)) return image;
  await ensureNodeImage();
  const dir = await mkdtemp(join(tmpdir(), 'mcp-podman-npm-'));
  try {
    await writeFile(join(dir, 'package.json'), '{"name":"fixture","version":"1.0.0","private":true}');
    await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts', pkg], {
      cwd: dir,
      timeout: 300_000,
    });
    const name = pkg.replace(/@[^@/]+$/, '').replace(/^(@?[^@]+)@.*$/, '$1');
    const meta = JSON.parse(await readFile(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as {
      bin?: string | Record<string, string>;
    };
    const bin = typeof meta.bin === 'string' ? meta.bin : Object.values(meta.bin ?? {})[0];
    if (!bin) throw new Error(`${pkg} has no bin script`);
    await writeFile(
      join(dir, 'Containerfile'),
      `FROM ${NODE}\nCOPY node_modules /app/node_modules\nENTRYPOINT ["node", "/app/node_modules/${name}/${bin.replace(/^\.\//, '')}"]\n`,
    );
    await podmanCli(['build', '--network', 'none', '-t', image, '-f', join(dir, 'Containerfile'), dir]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return image;
}
