// The source the reproduce flows (cgroup sandbox and Docker) run against: migrate, seed the
// data profile, sync a starting point for each incremental scenario, then churn, so an
// incremental run has changes to follow.
import type { S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { SnapshotStore } from '@storage-builder/snapshot';
import { applyChurn, migrate, seedDatabase, type ChurnResult, type DataProfile } from '@storage-builder/source-db';
import { StorageUpdater } from '@storage-builder/updater';
import { profileTotals } from './profile-totals';
import { prefixOf, type Scenario } from './scenarios';

/** The changed share of rows before the runs, as in `npm run reproduce`. */
export const DEFAULT_CHURN_RATE = 0.002;

export interface SourcePreparation {
  readonly rows: number;
  readonly targets: number;
  readonly seedSeconds: number;
  readonly churn: ChurnResult | undefined;
}

export interface PrepareSourceOptions {
  readonly pool: pg.Pool;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly data: DataProfile;
  readonly scenarios: readonly Scenario[];
  readonly churnRate: number;
  readonly log: (message: string) => void;
}

/** For the flows' stores: the warning that s3rver does not enforce conditional writes would repeat per store. */
export const quietStoreLogger = { warn: () => undefined };

export async function prepareSource(options: PrepareSourceOptions): Promise<SourcePreparation> {
  const { pool, data, log } = options;
  await migrate(pool);
  const totals = profileTotals(data);
  log(`Seeding ${totals.rows.toLocaleString('en')} rows in ${totals.targets} targets…`);
  const seed = await seedDatabase(pool, data);
  log(`  seeded in ${(seed.elapsedMs / 1000).toFixed(1)} s`);

  // In-process, with the same library the worker runs: only the measured run is in the container.
  const synced = options.scenarios.filter((s) => s.startsFromSync);
  for (const [i, scenario] of synced.entries()) {
    log(`Syncing a starting point for ${scenario.id} (${i + 1}/${synced.length})…`);
    const store = new SnapshotStore({ s3: options.s3, bucket: options.bucket, prefix: prefixOf(scenario), logger: quietStoreLogger });
    const summary = await new StorageUpdater({ source: pool, store, parallelism: 2 }).updateAll();
    if (summary.failed > 0) throw new Error(`the starting sync for ${scenario.id} failed: ${JSON.stringify(summary.results.find((r) => r.state === 'failed'))}`);
  }
  let churn: ChurnResult | undefined;
  if (options.churnRate > 0) {
    churn = await applyChurn(pool, { rate: options.churnRate, seed: data.seed + 1, outOfOrder: true });
    log(`Churn: ${churn.inserted} inserted, ${churn.updated} updated, ${churn.deleted} deleted`);
  }
  return { rows: totals.rows, targets: totals.targets, seedSeconds: seed.elapsedMs / 1000, churn };
}
