import { Readable } from 'node:stream';
import { isCopyText } from '@storage-builder/data-model';
import type { SnapshotTotals } from './snapshot-encoder';
import { OUTPUT_HIGH_WATER_MARK, syncCounts, throwIfAborted } from './output-writer';
import type { SerializerStrategyDefinition, StrategyInput } from './serializer-strategy';

/** Rows encoded between two yields: one default frame, so a huge feed batch neither blocks long nor buffers much. */
export const STREAMING_SLICE_ROWS = 4096;

/**
 * The streaming strategy: an async generator that `Readable.from` pulls only while its
 * reader wants more (backpressure), encoding a slice of a feed batch per step. No await
 * and no promise per record: the only awaits are one per feed batch and one per yield.
 */
export const streamingStrategy: SerializerStrategyDefinition = {
  reads: 'change-feed',
  rowsAs: 'copy-text',
  start(input) {
    let resolveTotals!: (totals: SnapshotTotals) => void;
    let rejectTotals!: (error: unknown) => void;
    const totals = new Promise<SnapshotTotals>((resolve, reject) => {
      resolveTotals = resolve;
      rejectTotals = reject;
    });
    const stream = Readable.from(streamingChunks(input, resolveTotals), { objectMode: false, highWaterMark: OUTPUT_HIGH_WATER_MARK });
    stream.once('error', rejectTotals);
    stream.once('close', () => rejectTotals(new Error('snapshot stream closed before it was complete')));
    return { stream, totals };
  },
};

async function* streamingChunks(input: StrategyInput, onDone: (totals: SnapshotTotals) => void): AsyncGenerator<Buffer> {
  const { batches, encoder, counters, finish, signal } = input;
  for await (const batch of batches) {
    throwIfAborted(signal);
    const rows = batch.rows;
    if (isCopyText(rows)) {
      // The rows of one network read (a single row longer than a read comes alone), encoded in one step.
      counters.serializeCalls++;
      encoder.addCopyText(rows);
    } else {
      for (let start = 0; start < rows.length; start += STREAMING_SLICE_ROWS) {
        counters.serializeCalls++;
        encoder.addRows(rows, start, Math.min(rows.length, start + STREAMING_SLICE_ROWS));
        if (encoder.bufferedBytes > 0) yield encoder.takeOutput();
      }
    }
    if (batch.tombstones.length > 0) {
      counters.serializeCalls++;
      encoder.addTombstones(batch.tombstones);
    }
    syncCounts(input);
    if (encoder.bufferedBytes > 0) yield encoder.takeOutput();
  }
  throwIfAborted(signal);
  const totals = finish();
  yield encoder.takeOutput();
  onDone(totals);
}
