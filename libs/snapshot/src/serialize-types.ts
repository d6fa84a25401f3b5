import type { ChangeBatch } from '@storage-builder/data-model';
import type { Readable } from 'node:stream';
import type { BatchSizingOptions } from './memory-budget';
import type { FrameOptions, SnapshotTotals } from './snapshot-encoder';
import type { SnapshotHeader } from './snapshot-header';
import type { SerializerStrategy } from './serializer-registry';


export interface SerializeSnapshotOptions extends FrameOptions {
  readonly header: SnapshotHeader;
  /** What the change feed yields, in order; within a batch rows come before tombstones. */
  readonly batches: AsyncIterable<ChangeBatch> | Iterable<ChangeBatch>;
  /** @defaultValue `DEFAULT_SERIALIZER_STRATEGY` (serializer-registry.ts) */
  readonly strategy?: SerializerStrategy;
  /** How `batched` picks its batch size. */
  readonly batchSizing?: BatchSizingOptions;
  /** Aborting destroys the output stream with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Counters of one serialization, final once `done` resolves. */
export interface SerializeCounters {
  rows: number;
  tombstones: number;
  frames: number;
  bytes: number;
  /** Calls into the strategy's serialize step: one per record (+1 terminator) for legacy, one per batch otherwise. */
  serializeCalls: number;
  /** The batch size `batched` chose; `undefined` for the other strategies. */
  batchSize: number | undefined;
}

export interface SerializedSnapshot {
  /** The file's bytes. Read it to the end (or destroy it): production stops when nobody reads. */
  readonly stream: Readable;
  /** Live counters; final after `done`. */
  readonly counters: SerializeCounters;
  /** Resolves with the totals after the trailer is written; rejects with the first error. */
  readonly done: Promise<SnapshotTotals & SerializeCounters>;
}
