import { COMPRESSIONS, DEFAULT_COMPRESSION, DEFAULT_KEY_PREFIX, DEFAULT_SERIALIZER_STRATEGY, SERIALIZER_STRATEGIES, type Compression, type SerializerStrategy } from '@storage-builder/snapshot';
import { DEFAULT_LEASE_TTL_MS, DEFAULT_PARALLELISM, MAX_PARALLELISM } from '@storage-builder/updater';
import { DEFAULT_VERSION_KEY_PREFIX } from '@storage-builder/version-tracker';
import type { LogLevel } from '@storage-builder/updater';

export const DEFAULT_PORT = 8080;
export const DEFAULT_WORKER_CONCURRENCY = 2;
/** Below the task definitions' `stopTimeout` (120 s in infra/), so the process ends before ECS sends SIGKILL. */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 30;
/** A store that stops answering must fail the request, or the target hangs forever: the SDK has no idle timeout of its own. */
export const DEFAULT_S3_SOCKET_TIMEOUT_SECONDS = 30;
export const MIN_CONTROL_TOKEN_LENGTH = 24;
export const TRACKERS = ['manifest', 'redis', 'postgres'] as const;
export const MODES = ['standalone', 'distributed'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export type TrackerKind = (typeof TRACKERS)[number];
export type WorkerMode = (typeof MODES)[number];

/**
 * What every process that runs the updater reads from its environment, validated: the
 * worker, the CLI and the benchmark children build their runtime from it (worker-runtime.ts).
 */
export interface RuntimeConfig {
  readonly databaseUrl: string;
  readonly s3: {
    readonly bucket: string;
    /** Undefined: real AWS, endpoint from the region. */
    readonly endpoint: string | undefined;
    readonly region: string;
    readonly prefix: string;
    /** Undefined: the SDK's default credential chain (task role on ECS). */
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string } | undefined;
    /** Seconds a connection may sit idle before the request fails as retryable. */
    readonly socketTimeoutSeconds: number;
  };
  readonly serializer: SerializerStrategy;
  readonly compression: Compression;
  readonly parallelism: number;
  readonly incremental: boolean;
  readonly tracker: TrackerKind;
  /** Redis key prefix of the saved versions: workers that share a Redis but write different buckets or prefixes need their own. */
  readonly trackerKeyPrefix: string;
  readonly redisUrl: string | undefined;
  /** How long a target's lease lasts without renewal: a stalled or killed writer holds a target this long at most. */
  readonly leaseTtlSeconds: number;
  readonly logLevel: LogLevel;
}

/** Everything the long-running worker reads from its environment: the runtime, plus its HTTP API, mode and schedule. */
export interface WorkerConfig extends RuntimeConfig {
  readonly controlToken: string;
  readonly port: number;
  readonly mode: WorkerMode;
  readonly workerConcurrency: number;
  readonly scheduleIntervalSeconds: number | undefined;
  readonly stopTimeoutSeconds: number;
}

/** A variable that is missing or invalid; the message names it and says how to fix it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

function required(env: Env, name: string, fix: string): string {
  const value = read(env, name);
  if (value === undefined) throw new ConfigError(name, `${name} is not set: ${fix}`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number, unsetMeans = `default ${fallback}`): number {
  const text = read(env, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `${name} is ${JSON.stringify(text)}: set it to a whole number from ${min} to ${max} (${unsetMeans})`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const text = read(env, name);
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) {
    throw new ConfigError(name, `${name} is ${JSON.stringify(text)}: set it to one of ${allowed.join(', ')} (default ${fallback})`);
  }
  return text as T;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const text = read(env, name)?.toLowerCase();
  if (text === undefined) return fallback;
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  throw new ConfigError(name, `${name} is ${JSON.stringify(text)}: set it to true or false (default ${fallback})`);
}

function url(env: Env, name: string, protocols: readonly string[], fix: string): string | undefined {
  const text = read(env, name);
  if (text === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    // The value may hold a password: do not echo it.
    throw new ConfigError(name, `${name} is not a valid URL: ${fix}`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `${name} uses ${parsed.protocol}//: ${fix}`);
  }
  return text;
}

/** `DATABASE_URL`, required and a postgres:// URL; on its own for commands that need only the database. */
export function parseDatabaseUrl(env: Env): string {
  return (
    url(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], 'set it to postgres://user:password@host:5432/database') ??
    required(env, 'DATABASE_URL', 'set it to the source database, postgres://user:password@host:5432/database')
  );
}

function keyPrefix(env: Env, name: string, fallback: string): string {
  const text = read(env, name);
  if (text === undefined) return fallback;
  if (!/^[\x21-\x7e]{1,200}$/.test(text)) {
    throw new ConfigError(name, `${name} is ${JSON.stringify(text)}: use up to 200 printable characters without spaces, e.g. ${fallback}prod: (default ${fallback})`);
  }
  return text;
}

/** Every variable {@link parseRuntimeConfig} reads. */
export const RUNTIME_VARIABLES = [
  'DATABASE_URL',
  'S3_BUCKET',
  'S3_ENDPOINT',
  'S3_REGION',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'S3_PREFIX',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'S3_SOCKET_TIMEOUT_SECONDS',
  'SERIALIZER',
  'COMPRESSION',
  'PARALLELISM',
  'INCREMENTAL',
  'TRACKER',
  'TRACKER_KEY_PREFIX',
  'REDIS_URL',
  'LEASE_TTL_SECONDS',
  'LOG_LEVEL',
] as const;

/**
 * Reads and validates what the updater's runtime needs from environment variables. Pure: the
 * first invalid or missing variable throws a {@link ConfigError} that names it and the fix.
 */
export function parseRuntimeConfig(env: Env): RuntimeConfig {
  const databaseUrl = parseDatabaseUrl(env);
  const bucket = required(env, 'S3_BUCKET', 'set it to the bucket that receives snapshots');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError('S3_BUCKET', `S3_BUCKET is ${JSON.stringify(bucket)}: use a bucket name (3-63 lower-case letters, digits, '.' or '-')`);
  }
  const endpoint = url(env, 'S3_ENDPOINT', ['http:', 'https:'], 'set it to http(s)://host:port of an S3-compatible store, or unset it for AWS S3');
  const region = read(env, 'S3_REGION') ?? read(env, 'AWS_REGION') ?? read(env, 'AWS_DEFAULT_REGION');
  if (region === undefined) throw new ConfigError('S3_REGION', 'S3_REGION is not set (nor AWS_REGION): set it to the bucket\'s region, e.g. eu-west-1');
  const prefix = read(env, 'S3_PREFIX') ?? DEFAULT_KEY_PREFIX;
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(prefix)) {
    throw new ConfigError('S3_PREFIX', `S3_PREFIX is ${JSON.stringify(prefix)}: use path segments of letters, digits, '.', '_' or '-', without leading or trailing '/'`);
  }
  const accessKeyId = read(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = read(env, 'AWS_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const missing = accessKeyId === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY';
    throw new ConfigError(missing, `${missing} is not set while its pair is: set both, or neither to use the default credential chain (task role)`);
  }
  const sessionToken = read(env, 'AWS_SESSION_TOKEN');
  const credentials =
    accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : undefined;

  const tracker = oneOf(env, 'TRACKER', TRACKERS, 'manifest');
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:'], 'set it to redis://host:6379');
  if (redisUrl === undefined && tracker === 'redis') throw new ConfigError('REDIS_URL', 'REDIS_URL is not set but TRACKER is redis: set it to redis://host:6379, or use TRACKER=manifest');
  return {
    databaseUrl,
    s3: { bucket, endpoint, region, prefix, credentials, socketTimeoutSeconds: integer(env, 'S3_SOCKET_TIMEOUT_SECONDS', DEFAULT_S3_SOCKET_TIMEOUT_SECONDS, 1, 600) },
    serializer: oneOf(env, 'SERIALIZER', SERIALIZER_STRATEGIES, DEFAULT_SERIALIZER_STRATEGY),
    compression: oneOf(env, 'COMPRESSION', COMPRESSIONS, DEFAULT_COMPRESSION),
    parallelism: integer(env, 'PARALLELISM', DEFAULT_PARALLELISM, 1, MAX_PARALLELISM),
    incremental: boolean(env, 'INCREMENTAL', true),
    tracker,
    trackerKeyPrefix: keyPrefix(env, 'TRACKER_KEY_PREFIX', DEFAULT_VERSION_KEY_PREFIX),
    redisUrl,
    leaseTtlSeconds: integer(env, 'LEASE_TTL_SECONDS', DEFAULT_LEASE_TTL_MS / 1000, 1, 3600),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
  };
}

/** The worker's configuration: {@link parseRuntimeConfig}, then the HTTP API, mode and schedule. */
export function parseWorkerConfig(env: Env): WorkerConfig {
  const runtime = parseRuntimeConfig(env);
  const controlToken = required(env, 'CONTROL_TOKEN', `set it to a random secret of at least ${MIN_CONTROL_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32); on ECS pass it through the task definition's secrets`);
  if (controlToken.length < MIN_CONTROL_TOKEN_LENGTH) {
    throw new ConfigError('CONTROL_TOKEN', `CONTROL_TOKEN is ${controlToken.length} characters long: use at least ${MIN_CONTROL_TOKEN_LENGTH} (e.g. openssl rand -hex 32)`);
  }
  const mode = oneOf(env, 'MODE', MODES, 'standalone');
  if (runtime.redisUrl === undefined && mode === 'distributed') throw new ConfigError('REDIS_URL', 'REDIS_URL is not set but MODE is distributed: set it to the Redis that holds the target queue, redis://host:6379');
  const schedule = read(env, 'SCHEDULE_INTERVAL_SECONDS');
  return {
    ...runtime,
    controlToken,
    port: integer(env, 'PORT', DEFAULT_PORT, 0, 65_535),
    mode,
    workerConcurrency: integer(env, 'WORKER_CONCURRENCY', DEFAULT_WORKER_CONCURRENCY, 1, 64),
    scheduleIntervalSeconds: schedule === undefined ? undefined : integer(env, 'SCHEDULE_INTERVAL_SECONDS', 0, 10, 7 * 24 * 3600, 'or unset it for no schedule'),
    stopTimeoutSeconds: integer(env, 'STOP_TIMEOUT_SECONDS', DEFAULT_STOP_TIMEOUT_SECONDS, 1, 110),
  };
}
