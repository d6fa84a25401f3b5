import type { ChangeBatch, RowValues, ValueBatch } from '@storage-builder/data-model';
import type { ChangeFeed } from '../change-feed';

/** Every batch of a feed, collected. */
export async function drain<Batch extends ChangeBatch>(feed: ChangeFeed<Batch>): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const batch of feed.batches()) batches.push(batch);
  return batches;
}

/**
 * What a snapshot reader does with batches: upsert rows by id, delete tombstoned ids.
 * Idempotent, so re-reading rows at the horizon changes nothing.
 */
export function applyBatches(state: Map<string, RowValues>, batches: readonly ValueBatch[]): Map<string, RowValues> {
  for (const batch of batches) {
    for (const row of batch.rows) state.set(row[0] as string, row);
    for (const key of batch.tombstones) state.delete(key);
  }
  return state;
}

export function rowIds(batches: readonly ValueBatch[]): string[] {
  return batches.flatMap((batch) => batch.rows.map((row) => row[0] as string));
}

export function tombstoneIds(batches: readonly ValueBatch[]): string[] {
  return batches.flatMap((batch) => batch.tombstones);
}
