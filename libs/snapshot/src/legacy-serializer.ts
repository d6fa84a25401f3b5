import type { ChangeBatch, RowValues } from '@storage-builder/data-model';
import type { SnapshotTotals } from './snapshot-encoder';
import { endFile, pushedOutput, throwIfAborted, writeEncoded } from './output-writer';
import { rowValuesOf, type SerializerStrategyDefinition } from './serializer-strategy';

/** A record as the incident's callback provider handed it over: a row, or the key of a deleted row. */
export type SnapshotItem = { readonly row: RowValues } | { readonly tombstone: string };

/**
 * A port of the incident's `SerializeHelper.SerializeEnumerable`: one awaited
 * `serialize(item)` per record, then `serialize(null)` to end. Kept as it was so the
 * harness can measure it; the cost is a promise (or several) per record.
 */
export async function serializeEnumerable<T>(
  items: AsyncIterable<T> | Iterable<T>,
  serialize: (item: T | null) => Promise<void>,
): Promise<void> {
  for await (const item of items) {
    await serialize(item);
  }
  await serialize(null);
}

/** The incident's strategy, reading what the incident's callback provider yields, one record per call. */
export const legacyStrategy: SerializerStrategyDefinition = {
  reads: 'legacy-provider',
  rowsAs: 'values',
  start: (input) =>
    pushedOutput(async (output) => {
      const { batches, encoder, counters, signal } = input;
      let totals: SnapshotTotals | undefined;
      await serializeEnumerable(flattenForCallbacks(batches), async (item) => {
        counters.serializeCalls++;
        throwIfAborted(signal);
        if (item === null) {
          totals = await endFile(output, input);
          return;
        }
        if ('row' in item) encoder.addRow(item.row);
        else encoder.addTombstone(item.tombstone);
        await writeEncoded(output, input);
      });
      return totals as SnapshotTotals;
    }),
};

/**
 * The per-record enumerable the legacy strategy consumes, as the incident's provider
 * produced it (`onUpdated(item)` / `onDeleted(key)` one record at a time).
 */
async function* flattenForCallbacks(batches: AsyncIterable<ChangeBatch> | Iterable<ChangeBatch>): AsyncGenerator<SnapshotItem> {
  for await (const batch of batches) {
    for (const row of rowValuesOf(batch, 'legacy')) yield { row };
    for (const tombstone of batch.tombstones) yield { tombstone };
  }
}
