import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWatermark, type Target } from '@storage-builder/data-model';
import { provisionPostgres, provisionRedis, type PostgresService, type RedisService } from '@storage-builder/services';
import { PostgresVersionTracker } from './postgres-version-tracker';
import { DEFAULT_VERSION_KEY_PREFIX, RedisVersionTracker } from './redis-version-tracker';
import type { VersionTracker } from './version-tracker';

const target: Target = { clientId: 7, kind: 'raw-data' };
const other: Target = { clientId: 7, kind: 'entities' };
const version = { watermark: parseWatermark('1234'), savedAt: '2026-11-29T04:00:00.000Z', runId: 'run-1' };

let redisService: RedisService;
let postgresService: PostgresService;
let redis: Redis;
let pool: pg.Pool;

beforeAll(async () => {
  [redisService, postgresService] = await Promise.all([provisionRedis({ label: 'tracker-test' }), provisionPostgres({ label: 'tracker-test' })]);
  redis = new Redis(redisService.url);
  pool = new pg.Pool({ connectionString: postgresService.url });
});

afterAll(async () => {
  redis?.disconnect();
  await pool?.end();
  await Promise.all([redisService?.stop(), postgresService?.stop()]);
});

/** Writes a raw stored value behind the tracker's back, as another program or a bug might. */
type CorruptWriter = (target: Target, raw: string) => Promise<void>;

const trackers: Array<[string, () => { tracker: VersionTracker; corrupt: CorruptWriter }]> = [
  [
    'redis',
    () => {
      const keyPrefix = `${redisService.keyPrefix}${DEFAULT_VERSION_KEY_PREFIX}`;
      const tracker = new RedisVersionTracker({ redis: redisService.url, keyPrefix, ttlSeconds: 3600 });
      return { tracker, corrupt: async (t, raw) => void (await redis.set(tracker.key(t), raw)) };
    },
  ],
  [
    'postgres',
    () => ({
      tracker: new PostgresVersionTracker({ database: postgresService.url }),
      corrupt: async (t, raw) =>
        void (await pool.query(`UPDATE storage_builder_versions SET value = $2 WHERE target_id = $1`, [`client-${t.clientId}/${t.kind}`, raw])),
    }),
  ],
];

describe.each(trackers)('%s version tracker', (_name, make) => {
  it('reports missing, then what was saved, per target, then missing after clear', async () => {
    const { tracker } = make();
    try {
      await tracker.check();
      expect(await tracker.get(target)).toEqual({ state: 'missing' });
      await tracker.save(target, version);
      expect(await tracker.get(target)).toEqual({ state: 'found', version });
      expect(await tracker.get(other)).toEqual({ state: 'missing' });
      await tracker.clear(target);
      expect(await tracker.get(target)).toEqual({ state: 'missing' });
    } finally {
      await tracker.stop();
      await tracker.stop();
    }
  });

  it.each([
    ['not JSON', '{oops', /stored value is not JSON/],
    ['a malformed watermark', JSON.stringify({ watermark: '12ab', savedAt: version.savedAt }), /stored watermark is "12ab"/],
    ['a missing time', JSON.stringify({ watermark: '5' }), /stored savedAt is undefined/],
  ])('reports %s as corrupt with the reason instead of throwing', async (_case, raw, reason) => {
    const { tracker, corrupt } = make();
    try {
      await tracker.save(target, version);
      await corrupt(target, raw);
      const lookup = await tracker.get(target);
      expect(lookup.state).toBe('corrupt');
      expect(lookup.state === 'corrupt' && lookup.reason).toMatch(reason);
    } finally {
      await tracker.clear(target);
      await tracker.stop();
    }
  });
});

describe('RedisVersionTracker', () => {
  it('uses the StorageBuilder:Version: key layout with the configured TTL', async () => {
    const keyPrefix = `${redisService.keyPrefix}${DEFAULT_VERSION_KEY_PREFIX}`;
    const tracker = new RedisVersionTracker({ redis, keyPrefix, ttlSeconds: 600 });
    await tracker.save(target, version);
    const key = `${keyPrefix}client-7/raw-data`;
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
    await tracker.stop(); // does not close a client it was given
    expect(redis.status).toBe('ready');
  });

  it('says at start-up that Redis cannot be reached, naming it', async () => {
    const tracker = new RedisVersionTracker({ redis: 'redis://127.0.0.1:9' });
    await expect(tracker.check()).rejects.toThrow(/the Redis version tracker cannot reach Redis: .*Check REDIS_URL/);
    await tracker.stop();
  });

  it('rejects a TTL that is not a whole number of seconds', () => {
    expect(() => new RedisVersionTracker({ redis, ttlSeconds: 0 })).toThrow('ttlSeconds is 0: use a whole number of seconds ≥ 1');
  });
});

describe('PostgresVersionTracker', () => {
  it('rejects a table name that is not a plain identifier', () => {
    expect(() => new PostgresVersionTracker({ database: pool, table: 'x; drop table y' })).toThrow(/use a plain lower-case SQL identifier/);
  });

  it('says at start-up that the database cannot be reached', async () => {
    const tracker = new PostgresVersionTracker({ database: 'postgres://postgres@127.0.0.1:9/none' });
    await expect(tracker.check()).rejects.toThrow(/the PostgreSQL version tracker cannot use table storage_builder_versions/);
    await tracker.stop();
  });
});
