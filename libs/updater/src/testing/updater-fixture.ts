import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { RowValues, Target } from '@storage-builder/data-model';
import { provisionServices } from '@storage-builder/services';
import { SnapshotStore, materializeTarget } from '@storage-builder/snapshot';
import { createSourcePool, migrate, parseDataProfile, seedDatabase } from '@storage-builder/source-db';
import { databaseRows } from './database-rows';

/** Small enough for a quick test, skewed like the incident. */
export const TEST_PROFILE = parseDataProfile({
  clients: 3,
  rows: { rawData: 3_000, entities: 90, dataItems: 60, formulas: 45, formulaAssociations: 120 },
  rawDataSkew: 0.6,
  textWidth: 24,
  seed: 11,
});

/** A seeded source database, an object store with a bucket, and Redis, all of their own. */
export async function updaterFixture(label: string) {
  const services = await provisionServices({ label, redis: true });
  const pool = createSourcePool({ connectionString: services.postgres.url, max: 8 });
  const s3 = new S3Client(services.objectStore.clientConfig);
  const store = new SnapshotStore({ s3, bucket: services.objectStore.bucket, partSize: 5 * 1024 * 1024 });
  await migrate(pool);
  await seedDatabase(pool, TEST_PROFILE);

  return {
    services,
    pool,
    s3,
    store,
    /** The database's rows of a target now, from a full read of the feed. */
    databaseRows(target: Target): Promise<Map<string, RowValues>> {
      return databaseRows(pool, target);
    },
    async snapshotRows(target: Target): Promise<Map<string, RowValues> | undefined> {
      return (await materializeTarget(store, target))?.rows;
    },
    /** Writes bytes over an object behind the store's back, as a bug or another program might. */
    async overwrite(key: string, body: string | Uint8Array): Promise<void> {
      await s3.send(new PutObjectCommand({ Bucket: services.objectStore.bucket, Key: key, Body: body }));
    },
    async [Symbol.asyncDispose]() {
      s3.destroy();
      await pool.end();
      await services.stop();
    },
  };
}

export type UpdaterFixture = Awaited<ReturnType<typeof updaterFixture>>;
