import { Redis } from 'ioredis';
import { targetId, type Target } from '@storage-builder/data-model';
import { decodeTrackedVersion, encodeTrackedVersion } from './tracked-version-codec';
import type { TrackedVersion, TrackerLookup, VersionTracker } from './version-tracker';

export interface RedisVersionTrackerOptions {
  /** A Redis URL, or a client the caller owns (it is then not closed by `stop()`). */
  redis: string | Redis;
  /**
   * Key prefix; the key of a target is the prefix and its target id.
   * @defaultValue {@link DEFAULT_VERSION_KEY_PREFIX}
   */
  keyPrefix?: string;
  /**
   * How long a saved version lives. An expired version means a full sync of that target.
   * @defaultValue {@link DEFAULT_VERSION_TTL_SECONDS} (30 days)
   */
  ttlSeconds?: number;
}

/** The key layout of the incident write-up's design. */
export const DEFAULT_VERSION_KEY_PREFIX = 'StorageBuilder:Version:';
export const DEFAULT_VERSION_TTL_SECONDS = 30 * 24 * 60 * 60;

/**
 * The write-up's version tracker: one Redis key per target with a TTL. It is a cache: the
 * target's manifest overrules it when they disagree.
 */
export class RedisVersionTracker implements VersionTracker {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly ownsClient: boolean;
  private readonly keyPrefix: string;
  private readonly ttlSeconds: number;

  constructor(options: RedisVersionTrackerOptions) {
    const ttl = options.ttlSeconds ?? DEFAULT_VERSION_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1) throw new Error(`ttlSeconds is ${ttl}: use a whole number of seconds ≥ 1`);
    this.ttlSeconds = ttl;
    this.keyPrefix = options.keyPrefix ?? DEFAULT_VERSION_KEY_PREFIX;
    this.ownsClient = typeof options.redis === 'string';
    this.redis =
      typeof options.redis === 'string'
        ? // Fail fast rather than queue commands while Redis is away: a run must not hang on its tracker.
          new Redis(options.redis, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 })
        : options.redis;
    // Connection errors reach callers through the rejected command; without a listener
    // ioredis would also print each one as unhandled.
    if (this.ownsClient) this.redis.on('error', () => undefined);
  }

  key(target: Target): string {
    return `${this.keyPrefix}${targetId(target)}`;
  }

  async check(): Promise<void> {
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      await this.redis.ping();
    } catch (error) {
      throw new Error(`the Redis version tracker cannot reach Redis: ${(error as Error).message}. Check REDIS_URL.`);
    }
  }

  async get(target: Target): Promise<TrackerLookup> {
    await this.connected();
    return decodeTrackedVersion(await this.redis.get(this.key(target)));
  }

  async save(target: Target, version: TrackedVersion): Promise<void> {
    await this.connected();
    await this.redis.set(this.key(target), encodeTrackedVersion(version), 'EX', this.ttlSeconds);
  }

  async clear(target: Target): Promise<void> {
    await this.connected();
    await this.redis.del(this.key(target));
  }

  async stop(): Promise<void> {
    if (this.ownsClient && this.redis.status !== 'end') this.redis.disconnect();
  }

  private async connected(): Promise<void> {
    if (this.redis.status === 'wait') await this.redis.connect();
  }
}
