import type pg from 'pg';
import { DATA_KINDS, targetId, type RowValues, type Target } from '@storage-builder/data-model';
import { WriteTransaction } from '@storage-builder/source-db';
import type { SnapshotStore } from '@storage-builder/snapshot';
import { seededRandom } from '@storage-builder/snapshot/testing';
import { StorageUpdater, targetsOf } from '../storage-updater';
import { TEST_PROFILE, type UpdaterFixture } from './updater-fixture';

export interface RandomizedSyncOptions {
  readonly pool: pg.Pool;
  readonly store: SnapshotStore;
  readonly clientIds: readonly number[];
  /** Existing ids per (client, kind) that updates and deletes pick from. */
  readonly idRange: number;
  readonly databaseRows: (target: Target) => Promise<Map<string, RowValues>>;
  readonly snapshotRows: (target: Target) => Promise<Map<string, RowValues> | undefined>;
  /** @defaultValue 2 */
  readonly rounds?: number;
  /** @defaultValue 3 */
  readonly writers?: number;
  /** @defaultValue 12 */
  readonly transactionsPerWriter?: number;
}

export interface RandomizedSyncReport {
  readonly seed: number;
  readonly rounds: number;
  readonly committedTransactions: number;
  readonly failedRuns: readonly string[];
  /** Targets whose snapshot differs from the database after a quiet run; empty when nothing was lost. */
  readonly mismatches: readonly string[];
}

/** The randomized check over an updater fixture's three seeded clients. */
export function randomizedSyncOptionsFor(fixture: UpdaterFixture, rounds?: number): RandomizedSyncOptions {
  return {
    pool: fixture.pool,
    store: fixture.store,
    clientIds: [1, 2, 3],
    idRange: Math.floor(TEST_PROFILE.rows.formulas / TEST_PROFILE.clients),
    databaseRows: fixture.databaseRows,
    snapshotRows: fixture.snapshotRows,
    ...(rounds !== undefined ? { rounds } : {}),
  };
}

/**
 * One seed of the randomized correctness check. Each round: a long-running transaction
 * opens and writes; concurrent writers insert, update and delete in transactions that
 * commit in random order (some roll back, some deadlock); an incremental UpdateAll runs
 * meanwhile; then the writers stop, the long transaction commits, a quiet UpdateAll runs,
 * and every target's snapshot must equal the database. A row lost to an out-of-order
 * commit or a missed delete would never be read again and shows as a mismatch.
 */
export async function runRandomizedSync(seed: number, options: RandomizedSyncOptions): Promise<RandomizedSyncReport> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const targets = targetsOf(options.clientIds);
  const updater = new StorageUpdater({ source: options.pool, store: options.store, parallelism: 2, maxAttempts: 2 });
  const failedRuns: string[] = [];
  const noteFailures = (label: string, summary: Awaited<ReturnType<StorageUpdater['runTargets']>>) => {
    for (const result of summary.results) if (result.state === 'failed') failedRuns.push(`${label} ${targetId(result.target)}: ${result.error}`);
  };
  let committed = 0;
  // New ids live above the seeded range and never collide between writers or rounds.
  let nextId = 50_000_000 + (seed % 1_000) * 100_000;

  noteFailures('initial', await updater.runTargets(targets));
  const rounds = options.rounds ?? 2;
  for (let round = 0; round < rounds; round++) {
    const long = await WriteTransaction.begin(options.pool);
    await long.insertRows(pick(DATA_KINDS), pick(options.clientIds), nextId++, 1, seed);

    const writer = async () => {
      for (let i = 0; i < (options.transactionsPerWriter ?? 12); i++) {
        const tx = await WriteTransaction.begin(options.pool);
        try {
          const kind = pick(DATA_KINDS);
          const clientId = pick(options.clientIds);
          const ids = Array.from({ length: 1 + Math.floor(random() * 3) }, () => 1 + Math.floor(random() * options.idRange));
          const action = random();
          if (action < 0.4) await tx.insertRows(kind, clientId, (nextId += 3) - 3, 3, seed);
          else if (action < 0.75) await tx.updateRows(kind, clientId, ids);
          else await tx.deleteRows(kind, clientId, ids);
          // Hold the transaction a random while, so commits land out of xid order.
          await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 15)));
          if (random() < 0.1) await tx.rollback();
          else {
            await tx.commit();
            committed++;
          }
        } catch {
          // A deadlock or conflict between writers: that transaction rolls back, as in production.
          await tx[Symbol.asyncDispose]().catch(() => undefined);
        }
      }
    };
    const [during] = await Promise.all([updater.runTargets(targets), ...Array.from({ length: options.writers ?? 3 }, writer)]);
    noteFailures(`round ${round} (concurrent)`, during);
    await long.commit();
    committed++;
    noteFailures(`round ${round} (quiet)`, await updater.runTargets(targets));
  }

  const mismatches: string[] = [];
  for (const target of targets) {
    const [snapshot, database] = await Promise.all([options.snapshotRows(target), options.databaseRows(target)]);
    if (!snapshot || !sameRows(snapshot, database)) {
      mismatches.push(`${targetId(target)}: snapshot ${snapshot?.size ?? 'missing'} rows, database ${database.size} rows`);
    }
  }
  return { seed, rounds, committedTransactions: committed, failedRuns, mismatches };
}

function sameRows(a: ReadonlyMap<string, RowValues>, b: ReadonlyMap<string, RowValues>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, row] of a) {
    const other = b.get(id);
    if (!other || other.length !== row.length || other.some((v, i) => v !== row[i])) return false;
  }
  return true;
}
