import net from 'node:net';
import { existsSync } from 'node:fs';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { findRedisServer } from './embedded/embedded-redis';
import { provisionServices } from './provision-services';
import { provisionRedis } from './redis-service';

/** No service URLs: only PATH, so the choice must fall through to embedded. */
const bareEnvironment = { PATH: process.env['PATH'] };

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('embedded services', () => {
  it('start PostgreSQL and s3rver with no URLs set, round-trip a row and an object, and leave nothing behind', async () => {
    const services = await provisionServices({ env: bareEnvironment, label: 'embedded-test' });
    const { postgres, objectStore } = services;
    const postgresPort = Number(new URL(postgres.url).port);
    const storePort = Number(new URL(objectStore.connection.endpoint).port);
    try {
      expect(postgres.provider).toBe('embedded');
      expect(objectStore.provider).toBe('embedded');
      expect(services.describe()).toEqual([
        expect.stringMatching(/^postgres: embedded \(embedded postgres is available/),
        expect.stringMatching(/^object-store: embedded/),
      ]);

      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      try {
        await client.query('CREATE TABLE t (id bigint PRIMARY KEY, payload text NOT NULL)');
        await client.query('INSERT INTO t VALUES ($1, $2)', [42, 'héllo']);
        const { rows } = await client.query('SELECT id::text, payload, current_database() AS db FROM t');
        expect(rows).toEqual([{ id: '42', payload: 'héllo', db: postgres.database }]);
      } finally {
        await client.end();
      }

      // Large enough that the SDK would stream it; the bytes must come back exactly, which
      // fails if the store kept checksum framing in the object.
      const body = Buffer.alloc(3 * 1024 * 1024 + 7, 'a');
      body.write('tail', body.length - 4);
      const s3 = new S3Client(objectStore.clientConfig);
      try {
        await s3.send(new PutObjectCommand({ Bucket: objectStore.bucket, Key: 'dir/object.bin', Body: body }));
        const got = await s3.send(new GetObjectCommand({ Bucket: objectStore.bucket, Key: 'dir/object.bin' }));
        const bytes = Buffer.from(await got.Body!.transformToByteArray());
        expect(bytes.equals(body)).toBe(true);
      } finally {
        s3.destroy();
      }
    } finally {
      await services.stop();
    }

    await services.stop(); // a second stop is harmless
    expect(await refusesConnections(postgresPort)).toBe(true);
    expect(await refusesConnections(storePort)).toBe(true);
  });

  it.runIf(findRedisServer() !== undefined)('start redis-server from PATH and remove it on stop', async () => {
    const redisService = await provisionRedis({ env: bareEnvironment });
    const port = Number(new URL(redisService.url).port);
    try {
      expect(redisService.provider).toBe('embedded');
      const redis = new Redis(redisService.url);
      await redis.set(`${redisService.keyPrefix}k`, 'v');
      expect(await redis.get(`${redisService.keyPrefix}k`)).toBe('v');
      redis.disconnect();
    } finally {
      await redisService[Symbol.asyncDispose]();
    }
    expect(await refusesConnections(port)).toBe(true);
  });

  it('reports a missing Redis binary with what was tried', async () => {
    await expect(provisionRedis({ env: { PATH: '/nonexistent' }, probeDocker: async () => ({ reachable: false, detail: 'none' }) })).rejects.toThrow(
      /environment: REDIS_URL is not set[\s\S]*embedded: embedded redis is not available \(no redis-server on PATH/,
    );
    expect(existsSync('/nonexistent')).toBe(false);
  });
});
