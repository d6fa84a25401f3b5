// A long chain of deltas for the compaction case of the memory benchmark: client 1's
// raw-data snapshot under a target's prefix as a base and `deltas` deltas, committed in this
// process with the library (compaction held off), and one more change left in the source,
// so the worker's next incremental run appends a delta and compacts the whole chain.
import { S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '@storage-builder/services';
import { readManifest, SnapshotStore } from '@storage-builder/snapshot';
import { applyChurn, createSourcePool } from '@storage-builder/source-db';
import { silentLogger, StorageUpdater } from '@storage-builder/updater';
import type { WorkerTarget } from './worker-variant';

/** Rows each delta changes: enough that every delta has updates, inserts and deletes. */
const ROWS_PER_DELTA = 1_000;

/** Deltas in the chain of client 1's raw-data under `target`'s prefix (0 after a compaction). */
export function chainLength(target: WorkerTarget): Promise<number | undefined> {
  return withStore(target, async (store) => (await readManifest(store, RAW_DATA))?.manifest.deltas.length);
}

export async function buildDeltaChain(target: WorkerTarget, rows: number, deltas: number): Promise<{ deltas: number; changedRows: number }> {
  const pool = createSourcePool({ connectionString: target.databaseUrl, max: 4 });
  try {
    return await withStore(target, async (store) => {
      const updater = new StorageUpdater({ source: pool, store, incremental: true, logger: silentLogger, publisher: { maxDeltas: deltas + 1, maxDeltaBytesRatio: Number.MAX_SAFE_INTEGER } });
      const churn = (seed: number) => applyChurn(pool, { rate: Math.min(1, ROWS_PER_DELTA / rows), seed, clientIds: [1], kinds: ['raw-data'] });
      const update = async (what: string) => {
        const run = await updater.update(1);
        if (run.failed > 0) throw new Error(`${what}: ${run.failed} target(s) failed`);
      };
      await update("the chain's base");
      let changedRows = 0;
      for (let delta = 1; delta <= deltas; delta++) {
        const changed = await churn(delta);
        changedRows += changed.inserted + changed.updated + changed.deleted;
        await update(`delta ${delta}`);
      }
      const chain = await readManifest(store, RAW_DATA);
      if (chain?.manifest.deltas.length !== deltas) throw new Error(`the chain has ${chain?.manifest.deltas.length ?? 'no'} deltas, not ${deltas}`);
      await churn(deltas + 1);
      return { deltas, changedRows };
    });
  } finally {
    await pool.end();
  }
}

const RAW_DATA = { clientId: 1, kind: 'raw-data' } as const;

async function withStore<T>(target: WorkerTarget, work: (store: SnapshotStore) => Promise<T>): Promise<T> {
  const s3 = new S3Client(s3ClientConfig(target.s3));
  try {
    return await work(new SnapshotStore({ s3, bucket: target.bucket, prefix: target.prefix, logger: { warn: () => undefined } }));
  } finally {
    s3.destroy();
  }
}
