import { parseClientId, parseDataKind, parseWatermark, type DataKind, type Watermark } from '@storage-builder/data-model';
import type { SqlSource } from './sql-source';

export interface ChangeFeedOptions {
  /**
   * A pool (a connection is taken for the read and given back) or a client the caller
   * owns, which must not be in a transaction and carries one feed at a time.
   */
  source: SqlSource;
  /** The client whose rows are read; must be in the `clients` table. */
  clientId: number;
  /** One of `DATA_KINDS`; validated, so a value from outside can be passed as it is. */
  kind: DataKind | string;
  /**
   * The watermark a previous read returned, or `null` for a full read (every row, no
   * tombstones). A string is validated as a watermark.
   */
  since: Watermark | string | null;
  /**
   * Rows (or tombstones) per batch. Memory holds about one batch plus one network chunk.
   * @defaultValue {@link DEFAULT_BATCH_SIZE}
   */
  batchSize?: number;
}

export interface ResolvedChangeFeedOptions {
  readonly source: SqlSource;
  readonly clientId: number;
  readonly kind: DataKind;
  readonly since: Watermark | null;
  readonly batchSize: number;
}

/** Large enough that per-batch overhead vanishes, small enough to stay a few MB at raw-data widths. */
export const DEFAULT_BATCH_SIZE = 5_000;
export const MAX_BATCH_SIZE = 1_000_000;

export function resolveChangeFeedOptions(options: ChangeFeedOptions): ResolvedChangeFeedOptions {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new Error(`batchSize is ${JSON.stringify(batchSize)}: use an integer from 1 to ${MAX_BATCH_SIZE}`);
  }
  return {
    source: options.source,
    clientId: parseClientId(options.clientId),
    kind: parseDataKind(options.kind),
    since: options.since === null ? null : parseWatermark(options.since, 'since'),
    batchSize,
  };
}
