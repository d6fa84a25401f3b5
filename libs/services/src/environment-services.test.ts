import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { provisionPostgres } from './postgres-service';
import { provisionRedis } from './redis-service';
import { provisionServices } from './provision-services';

const databaseUrl = process.env['DATABASE_URL'];
const redisUrl = process.env['REDIS_URL'];

async function databaseExists(url: string, name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

describe.runIf(databaseUrl)('PostgreSQL from DATABASE_URL', () => {
  it('creates a database of its own on that server and drops it on stop, even with a session left open', async () => {
    // Only the URL: a SERVICES_PROVIDER this run sets for other tests must not decide here.
    const postgres = await provisionPostgres({ label: 'env-test', env: { DATABASE_URL: databaseUrl } });
    expect(postgres.provider).toBe('environment');
    expect(postgres.reason).toBe('DATABASE_URL is set');
    expect(postgres.database).toMatch(/^sb_env_test_[0-9a-f]{10}$/);
    expect(await databaseExists(databaseUrl!, postgres.database)).toBe(true);

    const leftOpen = new pg.Client({ connectionString: postgres.url });
    await leftOpen.connect();
    leftOpen.on('error', () => undefined); // the drop ends this session on purpose
    await postgres.stop();
    expect(await databaseExists(databaseUrl!, postgres.database)).toBe(false);
    await leftOpen.end().catch(() => undefined);
  });

  it('stops what it started, last first, when a later service cannot be had', async () => {
    const names: string[] = [];
    // A closed port as the object store: bucket creation fails after PostgreSQL is up.
    const env = {
      DATABASE_URL: databaseUrl,
      S3_ENDPOINT: 'http://127.0.0.1:9',
      S3_ACCESS_KEY_ID: 'k',
      S3_SECRET_ACCESS_KEY: 's',
    };
    const before = await listDatabases(databaseUrl!);
    await expect(provisionServices({ env, label: 'lifo-test' })).rejects.toThrow(/could not create bucket sb-lifo-test-/);
    const after = await listDatabases(databaseUrl!);
    names.push(...after.filter((name) => !before.includes(name) && name.startsWith('sb_lifo_test_')));
    expect(names).toEqual([]);
  });
});

async function listDatabases(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database');
    return rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

describe.runIf(redisUrl)('Redis from REDIS_URL', () => {
  it('removes only the keys under its prefix on stop', async () => {
    const service = await provisionRedis({ label: 'env-test', env: { REDIS_URL: redisUrl } });
    expect(service.provider).toBe('environment');
    const redis = new Redis(redisUrl!);
    const outsider = `sb-outsider:${service.keyPrefix}`;
    try {
      await redis.set(`${service.keyPrefix}a`, '1');
      await redis.set(`${service.keyPrefix}b`, '2');
      await redis.set(outsider, 'keep');
      await service.stop();
      expect(await redis.exists(`${service.keyPrefix}a`, `${service.keyPrefix}b`)).toBe(0);
      expect(await redis.get(outsider)).toBe('keep');
    } finally {
      await redis.del(outsider);
      redis.disconnect();
    }
  });
});
