import { serializerStrategy, DEFAULT_SERIALIZER_STRATEGY } from './serializer-registry';
import { SnapshotEncoder, type FrameOptions, type SnapshotTotals } from './snapshot-encoder';
import type { SnapshotHeader } from './snapshot-header';
import type { StrategyInput, StrategyOutput } from './serializer-strategy';
import type { SerializeCounters, SerializedSnapshot, SerializeSnapshotOptions } from './serialize-types';

/**
 * Serializes change batches into one snapshot file with the chosen strategy. Returns at
 * once; bytes flow as `stream` is read, with backpressure for every strategy.
 */
export function serializeSnapshot(options: SerializeSnapshotOptions): SerializedSnapshot {
  const strategy = serializerStrategy(options.strategy ?? DEFAULT_SERIALIZER_STRATEGY);
  return encodeSnapshot(options.header, options, ({ encoder, counters, finish }) =>
    strategy.start({ batches: options.batches, encoder, counters, finish, signal: options.signal, batchSizing: options.batchSizing }),
  );
}

/**
 * One snapshot file written by `produce` through an encoder of `header`: the counters it
 * keeps and the totals once `finish` wrote the trailer.
 */
export function encodeSnapshot(
  header: SnapshotHeader,
  frame: FrameOptions,
  produce: (input: Pick<StrategyInput, 'encoder' | 'counters' | 'finish'>) => StrategyOutput,
): SerializedSnapshot {
  const encoder = new SnapshotEncoder(header, frame);
  const counters: SerializeCounters = { rows: 0, tombstones: 0, frames: 0, bytes: 0, serializeCalls: 0, batchSize: undefined };
  const sync = () => Object.assign(counters, { rows: encoder.counts.rows, tombstones: encoder.counts.tombstones, frames: encoder.counts.frames, bytes: encoder.counts.bytes });
  const { stream, totals } = produce({
    encoder,
    counters,
    finish: () => {
      const finished = encoder.finish();
      sync();
      return finished;
    },
  });
  const done = totals.then((finished): SnapshotTotals & SerializeCounters => {
    sync();
    return { ...finished, ...counters };
  });
  // Callers that only read the stream see the error there; do not make `done` unhandled.
  done.catch(() => undefined);
  return { stream, counters, done };
}
