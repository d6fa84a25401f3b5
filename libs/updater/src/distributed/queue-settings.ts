import type { ConnectionOptions } from 'bullmq';

/** Where the target queue lives and how its jobs behave. */
export interface QueueSettings {
  /** A Redis URL; BullMQ opens its own connections from it. */
  redisUrl: string;
  /** @defaultValue {@link DEFAULT_QUEUE_NAME} */
  queueName?: string;
  /**
   * Prefix of every queue key in Redis.
   * @defaultValue {@link DEFAULT_QUEUE_PREFIX}
   */
  prefix?: string;
  /**
   * Attempts per target job across all workers, the first included.
   * @defaultValue {@link DEFAULT_JOB_ATTEMPTS}
   */
  attempts?: number;
  /**
   * How long a worker holds a job without renewing its lock before another worker may
   * take it over (a crashed worker stops renewing).
   * @defaultValue {@link DEFAULT_LOCK_DURATION_MS}
   */
  lockDurationMs?: number;
}

export const DEFAULT_QUEUE_NAME = 'storage-builder-targets';
export const DEFAULT_QUEUE_PREFIX = 'StorageBuilder:Queue';
export const DEFAULT_JOB_ATTEMPTS = 3;
export const DEFAULT_LOCK_DURATION_MS = 30_000;
/** First retry delay; later ones double, with jitter. */
export const JOB_BACKOFF_MS = 1_000;

export type ResolvedQueueSettings = Required<QueueSettings>;

export function resolveQueueSettings(settings: QueueSettings): ResolvedQueueSettings {
  const resolved = {
    redisUrl: settings.redisUrl,
    queueName: settings.queueName ?? DEFAULT_QUEUE_NAME,
    prefix: settings.prefix ?? DEFAULT_QUEUE_PREFIX,
    attempts: settings.attempts ?? DEFAULT_JOB_ATTEMPTS,
    lockDurationMs: settings.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
  };
  if (!/^rediss?:\/\//.test(resolved.redisUrl)) throw new Error(`redisUrl is ${JSON.stringify(resolved.redisUrl)}: set REDIS_URL to redis://host:port`);
  if (!Number.isInteger(resolved.attempts) || resolved.attempts < 1 || resolved.attempts > 20) {
    throw new Error(`attempts is ${resolved.attempts}: use a whole number from 1 to 20`);
  }
  if (!Number.isInteger(resolved.lockDurationMs) || resolved.lockDurationMs < 1_000) {
    throw new Error(`lockDurationMs is ${resolved.lockDurationMs}: use at least 1000`);
  }
  return resolved;
}

/** BullMQ connections: workers need `maxRetriesPerRequest: null` to block on Redis. */
export function connectionOf(settings: ResolvedQueueSettings): ConnectionOptions {
  const url = new URL(settings.redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** What a target job carries. */
export interface TargetJobData {
  readonly runId: string;
  readonly clientId: number;
  readonly kind: string;
}
