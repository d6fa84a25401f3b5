import { serializerStrategy, DEFAULT_SERIALIZER_STRATEGY } from './serializer-registry';
import { SnapshotEncoder, type SnapshotTotals } from './snapshot-encoder';
import type { SerializeCounters, SerializedSnapshot, SerializeSnapshotOptions } from './serialize-types';

/**
 * Serializes change batches into one snapshot file with the chosen strategy. Returns at
 * once; bytes flow as `stream` is read, with backpressure for every strategy.
 */
export function serializeSnapshot(options: SerializeSnapshotOptions): SerializedSnapshot {
  const strategy = serializerStrategy(options.strategy ?? DEFAULT_SERIALIZER_STRATEGY);
  const encoder = new SnapshotEncoder(options.header, options);
  const counters: SerializeCounters = { rows: 0, tombstones: 0, frames: 0, bytes: 0, serializeCalls: 0, batchSize: undefined };
  const sync = () => Object.assign(counters, { rows: encoder.counts.rows, tombstones: encoder.counts.tombstones, frames: encoder.counts.frames, bytes: encoder.counts.bytes });
  const { stream, totals } = strategy.start({
    batches: options.batches,
    encoder,
    counters,
    finish: () => {
      const finished = encoder.finish();
      sync();
      return finished;
    },
    signal: options.signal,
    batchSizing: options.batchSizing,
  });
  const done = totals.then((finished): SnapshotTotals & SerializeCounters => {
    sync();
    return { ...finished, ...counters };
  });
  // Callers that only read the stream see the error there; do not make `done` unhandled.
  done.catch(() => undefined);
  return { stream, counters, done };
}
