import type { Readable } from 'node:stream';
import { isCopyText, type ChangeBatch, type RowValues } from '@storage-builder/data-model';
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
  /**
   * The form of rows it takes from the change feed: values, or the COPY text they were read
   * as (the encoder turns those bytes into payload without a string per value).
   */
  readonly rowsAs: 'values' | 'copy-text';
  start(input: StrategyInput): StrategyOutput;
}

/** A batch's rows as values, for the strategies that read that form (`rowsAs: 'values'`). */
export function rowValuesOf(batch: ChangeBatch, strategy: string): readonly RowValues[] {
  if (isCopyText(batch.rows)) throw new Error(`the ${strategy} serializer reads rows as values, not COPY text: open the change feed with rowsAs: 'values'`);
  return batch.rows;
}
