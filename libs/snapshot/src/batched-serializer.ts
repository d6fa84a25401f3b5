import type { ChangeBatch, RowValues } from '@storage-builder/data-model';
import { chooseBatchSize } from './memory-budget';
import type { SnapshotTotals } from './snapshot-encoder';
import { endFile, pushedOutput, throwIfAborted, writeEncoded } from './output-writer';
import { rowValuesOf, type SerializerStrategyDefinition } from './serializer-strategy';

/** A deleted key inside a batch; rows go in bare so batching allocates nothing per row. */
interface BatchedTombstone {
  readonly tombstone: string;
}
type BatchItem = RowValues | BatchedTombstone;

/**
 * The write-up's fix: the same enumerable, regrouped into batches of `batchSize` items
 * (chosen from free memory, 500-20,000), one awaited `serializeBatch` per batch. A batch
 * holds references to rows the feed already allocated.
 */
export async function serializeEnumerableBatched<T>(
  items: AsyncIterable<readonly T[]> | Iterable<readonly T[]>,
  batchSize: number,
  serializeBatch: (batch: readonly T[] | null) => Promise<void>,
): Promise<void> {
  let batch: T[] = [];
  for await (const group of items) {
    for (let i = 0; i < group.length; i++) {
      batch.push(group[i] as T);
      if (batch.length >= batchSize) {
        await serializeBatch(batch);
        batch = [];
      }
    }
  }
  if (batch.length > 0) await serializeBatch(batch);
  await serializeBatch(null);
}

/** The write-up's fix: one awaited call per batch of a size chosen from free memory. */
export const batchedStrategy: SerializerStrategyDefinition = {
  reads: 'change-feed',
  rowsAs: 'values',
  start: (input) => {
    const { batches, encoder, counters, signal, batchSizing } = input;
    // Chosen before anything is written: bad sizing options fail the call, not the stream.
    const batchSize = (counters.batchSize = chooseBatchSize(batchSizing));
    return pushedOutput(async (output) => {
      let totals: SnapshotTotals | undefined;
      await serializeEnumerableBatched(groups(batches), batchSize, async (batch) => {
        counters.serializeCalls++;
        throwIfAborted(signal);
        if (batch === null) {
          totals = await endFile(output, input);
          return;
        }
        for (let i = 0; i < batch.length; i++) {
          const item = batch[i] as BatchItem;
          if (Array.isArray(item)) encoder.addRow(item as RowValues);
          else encoder.addTombstone((item as BatchedTombstone).tombstone);
        }
        await writeEncoded(output, input);
      });
      return totals as SnapshotTotals;
    });
  },
};

/** A feed batch as one group of items: its rows, then its tombstones. */
async function* groups(batches: AsyncIterable<ChangeBatch> | Iterable<ChangeBatch>): AsyncGenerator<readonly BatchItem[]> {
  for await (const batch of batches) {
    const rows = rowValuesOf(batch, 'batched');
    if (batch.tombstones.length === 0) yield rows;
    else yield [...rows, ...batch.tombstones.map((tombstone) => ({ tombstone }))];
  }
}
