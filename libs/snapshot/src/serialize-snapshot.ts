import { PassThrough, Readable } from 'node:stream';
import type { ChangeBatch } from '@storage-builder/data-model';
import { chooseBatchSize } from './memory-budget';
import { legacySerialize } from './legacy-serializer';
import { batchedSerialize } from './batched-serializer';
import { streamingChunks } from './streaming-serializer';
import { SnapshotEncoder, type SnapshotTotals } from './snapshot-encoder';
import {
  DEFAULT_SERIALIZER_STRATEGY,
  SERIALIZER_STRATEGIES,
  type SerializeCounters,
  type SerializedSnapshot,
  type SerializeSnapshotOptions,
} from './serialize-types';

/** Output stream buffer: enough to keep an upload busy, small next to a multipart part. */
export const OUTPUT_HIGH_WATER_MARK = 1024 * 1024;

/**
 * Serializes change batches into one snapshot file with the chosen strategy. Returns at
 * once; bytes flow as `stream` is read, with backpressure for every strategy.
 */
export function serializeSnapshot(options: SerializeSnapshotOptions): SerializedSnapshot {
  const strategy = options.strategy ?? DEFAULT_SERIALIZER_STRATEGY;
  if (!SERIALIZER_STRATEGIES.includes(strategy)) {
    throw new Error(`strategy is ${JSON.stringify(strategy)}: use one of ${SERIALIZER_STRATEGIES.join(', ')}`);
  }
  const encoder = new SnapshotEncoder(options.header, options);
  const counters: SerializeCounters = { rows: 0, tombstones: 0, frames: 0, bytes: 0, serializeCalls: 0, batchSize: undefined };
  const sync = () => Object.assign(counters, { rows: encoder.counts.rows, tombstones: encoder.counts.tombstones, frames: encoder.counts.frames, bytes: encoder.counts.bytes });
  let resolveDone!: (totals: SnapshotTotals & SerializeCounters) => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<SnapshotTotals & SerializeCounters>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // Callers that only read the stream see the error there; do not make `done` unhandled.
  done.catch(() => undefined);
  const finish = () => {
    const totals = encoder.finish();
    sync();
    return totals;
  };

  let stream: Readable;
  if (strategy === 'streaming') {
    stream = Readable.from(
      streamingChunks(options.batches, encoder, counters, finish, options.signal, (totals) => resolveDone({ ...totals, ...counters })),
      { objectMode: false, highWaterMark: OUTPUT_HIGH_WATER_MARK },
    );
    stream.once('error', rejectDone);
    stream.once('close', () => rejectDone(new Error('snapshot stream closed before it was complete')));
  } else {
    const output = new PassThrough({ highWaterMark: OUTPUT_HIGH_WATER_MARK });
    stream = output;
    const run =
      strategy === 'legacy'
        ? legacySerialize(flattenForCallbacks(options.batches), encoder, output, counters, finish, options.signal)
        : batchedSerialize(options.batches, encoder, output, counters, finish, options.signal, (counters.batchSize = chooseBatchSize(options.batchSizing)));
    run.then(
      (totals) => {
        sync();
        resolveDone({ ...totals, ...counters });
      },
      (error: unknown) => {
        rejectDone(error);
        output.destroy(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }
  return { stream, counters, done };
}

/** A record as the incident's callback provider handed it over: a row, or the key of a deleted row. */
export type SnapshotItem = { readonly row: ChangeBatch['rows'][number] } | { readonly tombstone: string };

/**
 * The per-record enumerable the legacy strategy consumes, as the incident's provider
 * produced it (`onUpdated(item)` / `onDeleted(key)` one record at a time).
 */
async function* flattenForCallbacks(batches: AsyncIterable<ChangeBatch> | Iterable<ChangeBatch>): AsyncGenerator<SnapshotItem> {
  for await (const batch of batches) {
    for (const row of batch.rows) yield { row };
    for (const tombstone of batch.tombstones) yield { tombstone };
  }
}
