import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import type { RowValues, Target } from '@storage-builder/data-model';
import { provisionServices, TEMP_DIR_PREFIX, type ServiceSet } from '@storage-builder/services';
import { SnapshotStore, materializeTarget, readManifest } from '@storage-builder/snapshot';
import { migrate, parseDataProfile, seedDatabase } from '@storage-builder/source-db';
import { databaseRows } from '@storage-builder/updater/testing';
import { TEST_TOKEN } from './worker-process';

/**
 * Enough targets that a run is still going when a test acts on it, and one raw-data target
 * (client 1) big enough for a multipart upload.
 */
export const WORKER_TEST_PROFILE = parseDataProfile({
  clients: 12,
  rows: { rawData: 60_000, entities: 1_200, dataItems: 600, formulas: 600, formulaAssociations: 1_200 },
  rawDataSkew: 0.6,
  textWidth: 400,
  seed: 5,
});

/** The worker's environment for `services`: their addresses and credentials, the test token, then `extra`. */
export function workerEnv(services: Pick<ServiceSet, 'postgres' | 'objectStore' | 'redis'>, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const connection = services.objectStore.connection;
  return {
    DATABASE_URL: services.postgres.url,
    S3_BUCKET: services.objectStore.bucket,
    S3_ENDPOINT: connection.endpoint,
    S3_REGION: connection.region,
    AWS_ACCESS_KEY_ID: connection.accessKeyId,
    AWS_SECRET_ACCESS_KEY: connection.secretAccessKey,
    CONTROL_TOKEN: TEST_TOKEN,
    ...(services.redis && { REDIS_URL: services.redis.url }),
    ...extra,
  };
}

/** Real services (isolated database, bucket and Redis prefix), migrated and seeded. */
export async function workerFixture(label: string) {
  const services = await provisionServices({ label, redis: true });
  const pool = new pg.Pool({ connectionString: services.postgres.url, max: 4 });
  const s3 = new S3Client(services.objectStore.clientConfig);
  try {
    await migrate(pool);
    await seedDatabase(pool, WORKER_TEST_PROFILE);
  } catch (error) {
    s3.destroy();
    await pool.end();
    await services.stop();
    throw error;
  }
  return {
    services,
    pool,
    s3,
    /** The worker's environment for these services. */
    env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
      return workerEnv(services, extra);
    },
    store(prefix: string): SnapshotStore {
      return new SnapshotStore({ s3, bucket: services.objectStore.bucket, prefix, conditionalWrites: 'none' });
    },
    databaseRows(target: Target): Promise<Map<string, RowValues>> {
      return databaseRows(pool, target);
    },
    async objectKeys(prefix: string): Promise<string[]> {
      const keys: string[] = [];
      let marker: string | undefined;
      for (;;) {
        const page = await s3.send(new ListObjectsCommand({ Bucket: services.objectStore.bucket, Prefix: prefix, Marker: marker }));
        keys.push(...(page.Contents ?? []).map((c) => c.Key!));
        if (!page.IsTruncated) return keys;
        marker = keys.at(-1);
      }
    },
    /** What a target holds under `prefix`: its manifest's materialized rows, or nothing at all. */
    async targetState(prefix: string, target: Target) {
      const store = this.store(prefix);
      const manifest = await readManifest(store, target);
      if (!manifest) return { state: 'untouched' as const, objects: await this.objectKeys(`${prefix}/client-${target.clientId}/`) };
      const materialized = await materializeTarget(store, target);
      return { state: 'committed' as const, rows: materialized?.rows };
    },
    /**
     * Multipart uploads s3rver still holds (it keeps each in `<bucket>/._S3rver_uploads/<id>`
     * until completed; it cannot abort). Undefined when the object store is not the embedded one.
     */
    async s3rverOpenUploads(): Promise<string[] | undefined> {
      if (services.objectStore.provider !== 'embedded') return undefined;
      const dirs = (await readdir(tmpdir())).filter((name) => name.startsWith(TEMP_DIR_PREFIX));
      for (const dir of dirs) {
        const bucketDir = path.join(tmpdir(), dir, services.objectStore.bucket);
        const exists = await readdir(bucketDir).then(
          () => true,
          () => false,
        );
        if (!exists) continue;
        return readdir(path.join(bucketDir, '._S3rver_uploads')).catch(() => []);
      }
      return undefined;
    },
    async [Symbol.asyncDispose]() {
      s3.destroy();
      await pool.end();
      await services.stop();
    },
  };
}

export type WorkerFixture = Awaited<ReturnType<typeof workerFixture>>;
