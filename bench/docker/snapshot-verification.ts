// After a run: does every target's snapshot (base + deltas, materialized) equal the database?
// The same check the updater's tests make, over every target of the seeded clients.
import type pg from 'pg';
import { targetId, type RowValues, type Target } from '@storage-builder/data-model';
import { materializeTarget, type SnapshotStore } from '@storage-builder/snapshot';
import { databaseRows } from '@storage-builder/updater/testing';

export interface SnapshotVerification {
  readonly targets: number;
  readonly rows: number;
  /** One line per target whose snapshot is missing or differs; empty when all are equal. */
  readonly mismatches: readonly string[];
}

/** Why two row sets differ (the first difference), or undefined when they are equal. */
export function rowDifference(snapshot: ReadonlyMap<string, RowValues>, database: ReadonlyMap<string, RowValues>): string | undefined {
  for (const [id, row] of database) {
    const stored = snapshot.get(id);
    if (!stored) return `row ${id} is missing from the snapshot`;
    if (stored.length !== row.length || stored.some((value, i) => value !== row[i])) return `row ${id} differs: snapshot ${JSON.stringify(stored)}, database ${JSON.stringify(row)}`;
  }
  for (const id of snapshot.keys()) if (!database.has(id)) return `row ${id} is in the snapshot but not in the database`;
  return undefined;
}

/** Compares each target's materialized snapshot under `store`'s prefix with the database, one at a time to bound memory. */
export async function verifySnapshots(pool: pg.Pool, store: SnapshotStore, targets: readonly Target[]): Promise<SnapshotVerification> {
  const mismatches: string[] = [];
  let rows = 0;
  for (const target of targets) {
    const [snapshot, database] = await Promise.all([materializeTarget(store, target), databaseRows(pool, target)]);
    rows += database.size;
    if (!snapshot) mismatches.push(`${targetId(target)}: no snapshot committed (database ${database.size} rows)`);
    else {
      const difference = rowDifference(snapshot.rows, database);
      if (difference) mismatches.push(`${targetId(target)}: ${difference}`);
    }
  }
  return { targets: targets.length, rows, mismatches };
}
