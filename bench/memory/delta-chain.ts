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
export async function chainLength(target: WorkerTarget): Promise<number | undefined> {
  const s3 = new S3Client(s3ClientConfig(target.s3));
  try {
    const store = new SnapshotStore({ s3, bucket: target.bucket, prefix: target.prefix, logger: { warn: () => undefined } });
    return (await readManifest(store, { clientId: 1, kind: 'raw-data' }))?.manifest.deltas.length;
  } finally {
    s3.destroy();
  }
}

export async function buildDeltaChain(target: WorkerTarget, rows: number, deltas: number): Promise<{ deltas: number; changedRows: number }> {
  const pool = createSourcePool({ connectionString: target.databaseUrl, max: 4 });
  const s3 = new S3Client(s3ClientConfig(target.s3));
  try {
    const store = new SnapshotStore({ s3, bucket: target.bucket, prefix: target.prefix, logger: { warn: () => undefined } });
    const updater = new StorageUpdater({ source: pool, store, incremental: true, logger: silentLogger, publisher: { maxDeltas: deltas + 1, maxDeltaBytesRatio: Number.MAX_SAFE_INTEGER } });
    const churn = (seed: number) => applyChurn(pool, { rate: Math.min(1, ROWS_PER_DELTA / rows), seed, clientIds: [1], kinds: ['raw-data'] });
    const failedRun = (summary: Awaited<ReturnType<StorageUpdater['update']>>) => summary.failed > 0 && `${summary.failed} target(s) failed`;
    const first = await updater.update(1);
    if (failedRun(first)) throw new Error(`the chain's base: ${failedRun(first)}`);
    let changedRows = 0;
    for (let delta = 1; delta <= deltas; delta++) {
      const changed = await churn(delta);
      changedRows += changed.inserted + changed.updated + changed.deleted;
      const run = await updater.update(1);
      if (failedRun(run)) throw new Error(`delta ${delta}: ${failedRun(run)}`);
    }
    const chain = await readManifest(store, { clientId: 1, kind: 'raw-data' });
    if (chain?.manifest.deltas.length !== deltas) throw new Error(`the chain has ${chain?.manifest.deltas.length ?? 'no'} deltas, not ${deltas}`);
    await churn(deltas + 1);
    return { deltas, changedRows };
  } finally {
    s3.destroy();
    await pool.end();
  }
}
