import type { Writable } from 'node:stream';
import type { SnapshotEncoder, SnapshotTotals } from './snapshot-encoder';
import { throwIfAborted, writeWithBackpressure } from './output-writer';
import type { SerializeCounters } from './serialize-types';
import type { SnapshotItem } from './serialize-snapshot';

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

export async function legacySerialize(
  items: AsyncIterable<SnapshotItem>,
  encoder: SnapshotEncoder,
  output: Writable,
  counters: SerializeCounters,
  finish: () => SnapshotTotals,
  signal: AbortSignal | undefined,
): Promise<SnapshotTotals> {
  let totals: SnapshotTotals | undefined;
  await serializeEnumerable(items, async (item) => {
    counters.serializeCalls++;
    throwIfAborted(signal);
    if (item === null) {
      totals = finish();
      await writeWithBackpressure(output, encoder.takeOutput());
      output.end();
      return;
    }
    if ('row' in item) encoder.addRow(item.row);
    else encoder.addTombstone(item.tombstone);
    counters.rows = encoder.counts.rows;
    counters.tombstones = encoder.counts.tombstones;
    await writeWithBackpressure(output, encoder.takeOutput());
  });
  return totals as SnapshotTotals;
}
