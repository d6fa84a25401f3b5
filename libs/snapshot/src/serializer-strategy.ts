import type { Readable } from 'node:stream';
import type { ChangeBatch } from '@storage-builder/data-model';
import type { BatchSizingOptions } from './memory-budget';
import type { SnapshotEncoder, SnapshotTotals } from './snapshot-encoder';
import type { SerializeCounters } from './serialize-types';

/** What one serialization hands its strategy. */
export interface StrategyInput {
  /** What the change feed yields, in order; within a batch rows come before tombstones. */
  readonly batches: AsyncIterable<ChangeBatch> | Iterable<ChangeBatch>;
  readonly encoder: SnapshotEncoder;
  /** The strategy counts its `serializeCalls` (and `batchSize`) here; rows and bytes are synced from the encoder. */
  readonly counters: SerializeCounters;
  /** Ends the file: the trailer goes into the encoder's output; returns the totals. */
  readonly finish: () => SnapshotTotals;
  readonly signal: AbortSignal | undefined;
  readonly batchSizing: BatchSizingOptions | undefined;
}

/** A strategy's file as it is written: the bytes, and the totals once the trailer is out. */
export interface StrategyOutput {
  readonly stream: Readable;
  readonly totals: Promise<SnapshotTotals>;
}

/**
 * How rows reach the encoder. Every strategy writes the same bytes; they differ in how
 * many awaits and promises each record costs, which is what the harness measures.
 */
export interface SerializerStrategyDefinition {
  /**
   * Where the updater reads the target from for this strategy: the change feed, or the
   * incident's callback provider (the legacy path is measured as it was).
   */
  readonly reads: 'change-feed' | 'legacy-provider';
  start(input: StrategyInput): StrategyOutput;
}
