// How the memory benchmark starts the worker: the bundle the image ships
// (apps/worker/dist/main.mjs, `npm run build:worker`) or the TypeScript sources through the
// tsx loader, each with optional extra node flags, and the environment a full sync needs.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ObjectStoreConnection } from '@storage-builder/services';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BUNDLE_MAIN = fileURLToPath(new URL('../../apps/worker/dist/main.mjs', import.meta.url));
export const SOURCE_MAIN = fileURLToPath(new URL('../../apps/worker/src/main.ts', import.meta.url));
export const DOCKERFILE = fileURLToPath(new URL('../../apps/worker/Dockerfile', import.meta.url));
/** `image`: the bundle with the node flags of the Dockerfile's CMD, as the image runs it; `bundle`: without flags; `tsx`: the sources. */
export const RUNNERS = ['image', 'bundle', 'tsx'] as const;
export type Runner = (typeof RUNNERS)[number];

/**
 * One way of running the worker: `image`, `bundle` or `tsx`, or `<runner>@<main file>`
 * (another build or checkout, to compare two in one run), each optionally followed by `:`
 * and more node flags and `NAME=value` environment variables.
 */
export interface WorkerVariant {
  readonly name: string;
  readonly runner: Runner;
  /** The bundle's or the sources' main file. */
  readonly entry: string;
  readonly nodeArgs: readonly string[];
  /** Environment the runner sets beside the worker's own (`image`: the runtime stage's ENV lines). */
  readonly env: Readonly<Record<string, string>>;
}

export function parseVariant(text: string): WorkerVariant {
  const [head = '', ...rest] = text.split(':');
  const [runner = '', file] = head.split('@');
  if (!(RUNNERS as readonly string[]).includes(runner)) {
    throw new Error(`--variant ${JSON.stringify(text)}: start with one of ${RUNNERS.join(', ')} (or <runner>@<main file>), then optionally ':' and node flags or NAME=value variables, e.g. "bundle:--max-semi-space-size=2 MALLOC_ARENA_MAX=2"`);
  }
  const words = rest.join(':').split(/\s+/).filter(Boolean);
  const isVariable = (word: string) => /^[A-Z_][A-Z0-9_]*=/.test(word);
  const extra = words.filter((word) => !isVariable(word));
  const nodeArgs = runner === 'image' ? [...imageNodeFlags(), ...extra] : extra;
  const variables = Object.fromEntries(words.filter(isVariable).map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]));
  const env = { ...(runner === 'image' ? imageEnv() : {}), ...variables };
  return { name: text, runner: runner as Runner, entry: path.resolve(file ?? (runner === 'tsx' ? SOURCE_MAIN : BUNDLE_MAIN)), nodeArgs, env };
}

/** The node flags of the worker image's CMD (`["node", ...flags, "apps/worker/dist/main.mjs"]`). */
export function imageNodeFlags(dockerfile = readFileSync(DOCKERFILE, 'utf8')): string[] {
  const cmd = dockerfile.split('\n').find((line) => line.startsWith('CMD '));
  const words = cmd === undefined ? undefined : (JSON.parse(cmd.slice(4)) as string[]);
  if (!words || words[0] !== 'node' || !words.at(-1)?.endsWith('.mjs')) throw new Error(`${DOCKERFILE}: expected CMD ["node", ...flags, "<bundle>.mjs"], found ${cmd}`);
  return words.slice(1, -1);
}

/**
 * The variables the Dockerfile's runtime stage sets (`ENV NAME=value ...` after the last
 * `FROM`), which change how node and glibc use memory. Values are taken as written: the
 * Dockerfile quotes none.
 */
export function imageEnv(dockerfile = readFileSync(DOCKERFILE, 'utf8')): Record<string, string> {
  const lines = dockerfile.split('\n');
  const runtime = lines.slice(lines.findLastIndex((line) => line.startsWith('FROM ')));
  const env: Record<string, string> = {};
  for (const line of runtime.filter((l) => l.startsWith('ENV '))) {
    for (const pair of line.slice(4).trim().split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`${DOCKERFILE}: expected ENV NAME=value ..., found ${line}`);
      env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return env;
}

/** node's arguments for a variant; `extra` comes first (a profiler's flags, say). */
export function variantArgs(variant: WorkerVariant, extra: readonly string[] = []): string[] {
  if (variant.runner !== 'tsx') {
    if (!existsSync(variant.entry)) throw new Error(`${variant.entry} is missing: run \`npm run build:worker\` first`);
    return [...extra, ...variant.nodeArgs, variant.entry];
  }
  return [...extra, ...variant.nodeArgs, '--import', 'tsx', variant.entry];
}

/** The worker's environment for a variant: the variant's own (the image's ENV) under the run's settings. */
export function variantEnv(variant: WorkerVariant, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...variant.env, ...env };
}

export interface WorkerTarget {
  readonly databaseUrl: string;
  readonly s3: ObjectStoreConnection;
  readonly bucket: string;
  /** A prefix per run: a second full sync under the same keys could reuse objects instead of uploading. */
  readonly prefix: string;
}

/** Only what the worker needs: this process's own DATABASE_URL or NODE_OPTIONS must not reach it. */
export function workerEnv(target: WorkerTarget, parallelism: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    DATABASE_URL: target.databaseUrl,
    S3_ENDPOINT: target.s3.endpoint,
    S3_REGION: target.s3.region,
    S3_BUCKET: target.bucket,
    S3_PREFIX: target.prefix,
    AWS_ACCESS_KEY_ID: target.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: target.s3.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    CONTROL_TOKEN: 'memory-benchmark-token-0123456789abcdef',
    PORT: '0',
    INCREMENTAL: 'false',
    PARALLELISM: String(parallelism),
    // 'worker started' (with the port) is an info line.
    LOG_LEVEL: 'info',
  };
}
