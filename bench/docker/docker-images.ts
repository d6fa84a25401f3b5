// Makes every image the Docker path needs available on the local engine, without a container
// registry if need be, and skips any already present:
//
//   npm run docker:images [-- --force] [--only debian,node,postgres,redis,s3]
//
// Each image is taken, in order, from the engine (present), from its registry (pulled), or
// built here from Debian's packages and the npm registry (stand-in, see images/*.Dockerfile):
//   debian    storage-builder/debian:bookworm    debootstrap --variant=minbase bookworm, imported (root, debootstrap)
//   node      node:22-bookworm-slim               the Debian base, node (node-linux-<arch>) and npm from the npm registry: the worker's
//                                                  Dockerfile builds on it unchanged
//   postgres  storage-builder/postgres:15-bookworm  Debian's PostgreSQL 15 (stand-in for postgres:16.10-alpine)
//   redis     storage-builder/redis:7-bookworm      Debian's Redis 7 (stand-in for redis:7.4.5-alpine)
//   s3        storage-builder/s3rver:3.7.1          s3rver on the node base (LocalStack cannot be built here)
// Prints which source served each image; exit 0 when all are there, 1 when one could not be
// made (the message says what to install or start), 2 on bad flags.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LOCALSTACK_CONTAINER, makeTempDir, POSTGRES_CONTAINER, REDIS_CONTAINER, STAND_IN_IMAGES } from '@storage-builder/services';
import { dockerCli, type DockerRunner } from './docker-cli';

const IMAGES_DIR = fileURLToPath(new URL('./images/', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The Node 22 release the node stand-in carries, and the npm that ships with it. */
const NODE_VERSION = '22.23.5';
const NPM_VERSION = '10.9.4';
const DEBIAN_SUITE = 'bookworm';
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

const log = (message: string) => process.stderr.write(`docker-images: ${message}\n`);

/** A command with its output shown as it runs; rejects with the command line when it fails. */
function run(command: string, args: readonly string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (error) => reject(new Error(`${command} could not start: ${error.message}`)));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

/** `docker import` of a folder tree as an image, the tar stream piped from `tar -C dir -c .`; on failure the tag is removed, so a partial image is never taken as present. */
async function importTree(dir: string, tag: string): Promise<void> {
  const ended = (child: ReturnType<typeof spawn>, what: string) =>
    new Promise<void>((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`${what} could not start: ${error.message}`)));
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${what} exited with ${code}`))));
    });
  const tar = spawn('tar', ['-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const load = spawn('docker', ['import', '-', tag], { stdio: ['pipe', 'inherit', 'inherit'] });
  // docker import ending early shows as its exit code; the broken pipe itself says nothing more.
  load.stdin!.on('error', () => undefined);
  tar.stdout!.pipe(load.stdin!);
  try {
    await Promise.all([ended(tar, 'tar'), ended(load, 'docker import')]);
  } catch (error) {
    await run('docker', ['rmi', '--force', tag]).catch(() => undefined);
    throw error;
  }
}

/** The Debian mirror apt uses on this host, so debootstrap fetches from where apt can. */
function debianMirror(): string {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const uri = /^URIs:\s*(\S+\/debian)\s*$/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+\S+/m.exec(text)?.[1];
    if (uri) return uri;
  }
  return 'http://deb.debian.org/debian';
}

/** Unpacks the npm registry's `name@version` package into `dir` (its `package/` folder renamed `target`). */
async function unpackNpmPackage(spec: string, dir: string, target: string): Promise<void> {
  await run('npm', ['pack', '--silent', spec], dir);
  const tarball = readdirSync(dir).find((file) => file.endsWith('.tgz'))!;
  mkdirSync(path.join(dir, target));
  await run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], dir);
  rmSync(path.join(dir, tarball));
}

interface ImageSpec {
  readonly key: string;
  readonly tag: string;
  /** The registry image this one stands in for; pulled instead when the registry answers. */
  readonly upstream: string | undefined;
  /** Images its build starts from. */
  readonly needs: readonly string[];
  build(): Promise<void>;
}

async function inTempContext(purpose: string, fill: (dir: string) => Promise<void>, dockerfile: string, tag: string): Promise<void> {
  const context = await makeTempDir(purpose);
  try {
    await fill(context.path);
    copyFileSync(path.join(IMAGES_DIR, dockerfile), path.join(context.path, 'Dockerfile'));
    await run('docker', ['build', '-t', tag, context.path]);
  } finally {
    await context.remove();
  }
}

const SPECS: ImageSpec[] = [
  {
    key: 'debian',
    tag: STAND_IN_IMAGES.debian,
    upstream: undefined,
    needs: [],
    async build() {
      if (process.getuid?.() !== 0) throw new Error('debootstrap needs root: run `npm run docker:images` as root, or pull the images from a registry');
      const root = await makeTempDir('debootstrap');
      try {
        await run('debootstrap', ['--variant=minbase', DEBIAN_SUITE, root.path, debianMirror()]).catch((error: Error) => {
          throw new Error(`${error.message}: install it with \`apt-get install debootstrap\` (Debian's package) and run as root`);
        });
        await importTree(root.path, STAND_IN_IMAGES.debian);
      } finally {
        await root.remove();
      }
    },
  },
  {
    key: 'node',
    tag: 'node:22-bookworm-slim',
    upstream: 'node:22-bookworm-slim',
    needs: ['debian'],
    build: () =>
      inTempContext(
        'node-image',
        async (dir) => {
          if (!existsSync(HOST_CA_BUNDLE)) throw new Error(`${HOST_CA_BUNDLE} is missing: install Debian's ca-certificates, whose bundle the image trusts`);
          copyFileSync(HOST_CA_BUNDLE, path.join(dir, 'ca-certificates.crt'));
          await unpackNpmPackage(`node-linux-${process.arch}@${NODE_VERSION}`, dir, 'node');
          await unpackNpmPackage(`npm@${NPM_VERSION}`, dir, 'npm');
        },
        'node.Dockerfile',
        'node:22-bookworm-slim',
      ),
  },
  {
    key: 'postgres',
    tag: STAND_IN_IMAGES.postgres,
    upstream: POSTGRES_CONTAINER.image,
    needs: ['debian'],
    build: () => inTempContext('postgres-image', async (dir) => copyFileSync(path.join(IMAGES_DIR, 'postgres-entrypoint.sh'), path.join(dir, 'postgres-entrypoint.sh')), 'postgres.Dockerfile', STAND_IN_IMAGES.postgres),
  },
  {
    key: 'redis',
    tag: STAND_IN_IMAGES.redis,
    upstream: REDIS_CONTAINER.image,
    needs: ['debian'],
    build: () => inTempContext('redis-image', async (dir) => copyFileSync(path.join(IMAGES_DIR, 'redis-entrypoint.sh'), path.join(dir, 'redis-entrypoint.sh')), 'redis.Dockerfile', STAND_IN_IMAGES.redis),
  },
  {
    key: 's3',
    tag: STAND_IN_IMAGES.s3,
    upstream: LOCALSTACK_CONTAINER.image,
    needs: ['node'],
    build: () =>
      inTempContext(
        's3-image',
        async (dir) => writeFileSync(path.join(dir, 's3rver-version'), (JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules/s3rver/package.json'), 'utf8')) as { version: string }).version),
        's3.Dockerfile',
        STAND_IN_IMAGES.s3,
      ),
  },
];

const HELP = `usage: npm run docker:images [-- --force] [--only ${SPECS.map((spec) => spec.key).join(',')}]
Makes each image present on the local Docker engine: kept if present, else pulled from its
registry, else built here (Debian's packages and the npm registry). --force builds every
stand-in asked for, and those it starts from, even when present.`;

type Source = 'present' | 'pulled' | 'built';

class ImageMaker {
  private readonly made = new Map<string, Promise<{ source: Source; image: string }>>();

  constructor(
    private readonly docker: DockerRunner,
    private readonly force: boolean,
  ) {}

  private async present(image: string): Promise<boolean> {
    return (await this.docker(['image', 'inspect', '--format', '{{.Id}}', image])).exitCode === 0;
  }

  /** ", stand-in" when the image was built by this command under an upstream image's name. */
  async standInNote(image: string): Promise<string> {
    const label = await this.docker(['image', 'inspect', '--format', '{{index .Config.Labels "storage-builder.stand-in"}}', image]);
    return label.exitCode === 0 && label.stdout !== '' && label.stdout !== '<no value>' ? ', stand-in' : '';
  }

  /** The image `spec` names, from the engine, its registry or a build, its needs first; a failure is remembered, not retried for the next image that needs it. */
  make(spec: ImageSpec): Promise<{ source: Source; image: string }> {
    let made = this.made.get(spec.key);
    if (!made) this.made.set(spec.key, (made = this.obtain(spec)));
    return made;
  }

  private async obtain(spec: ImageSpec): Promise<{ source: Source; image: string }> {
    if (!this.force) {
      for (const image of new Set([spec.tag, spec.upstream])) if (image && (await this.present(image))) return { source: 'present', image };
      if (spec.upstream) {
        const pull = await this.docker(['pull', spec.upstream]);
        if (pull.exitCode === 0) return { source: 'pulled', image: spec.upstream };
        log(`${spec.upstream} cannot be pulled (${pull.stderr.split('\n')[0]}): building the stand-in ${spec.tag}`);
      }
    }
    for (const need of spec.needs) await this.make(SPECS.find((s) => s.key === need)!);
    const started = performance.now();
    await spec.build();
    log(`built ${spec.tag} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    return { source: 'built', image: spec.tag };
  }
}

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({ options: { force: { type: 'boolean', default: false }, only: { type: 'string' }, help: { type: 'boolean', default: false } } }).values;
  } catch (error) {
    console.error(`docker-images: ${(error as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const keys = values.only?.split(',').map((key) => key.trim()) ?? SPECS.map((spec) => spec.key);
  const unknown = keys.filter((key) => !SPECS.some((spec) => spec.key === key));
  if (unknown.length > 0) {
    console.error(`docker-images: --only names ${unknown.join(', ')}: use some of ${SPECS.map((spec) => spec.key).join(', ')}\n${HELP}`);
    return 2;
  }
  const docker = dockerCli({ timeoutMs: 30 * 60_000 });
  const version = await docker(['version', '--format', '{{.Server.Version}}']).catch(() => undefined);
  if (!version || version.exitCode !== 0 || version.stdout === '') {
    console.error(`docker-images: no Docker engine answers (${version?.stderr.split('\n')[0] ?? 'the docker CLI is not on PATH'}): install one (Debian: apt-get install docker.io) and start it (dockerd), or set DOCKER_HOST`);
    return 1;
  }
  const maker = new ImageMaker(docker, values.force);
  let failed = 0;
  for (const key of keys) {
    const spec = SPECS.find((s) => s.key === key)!;
    try {
      const { source, image } = await maker.make(spec);
      console.log(`${key}: ${image} (${source}${await maker.standInNote(image)})`);
    } catch (error) {
      failed++;
      console.error(`docker-images: ${key}: ${(error as Error).message}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
