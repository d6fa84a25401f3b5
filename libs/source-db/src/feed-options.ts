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
  /**
   * The form rows are handed over in: values (one string or null per column), or the COPY
   * text lines they were read as, a network chunk at a time (`CopyTextRows`; `batchSize`
   * does not apply), which a consumer that only copies bytes reads without a string per value.
   * @defaultValue `'values'`
   */
  rowsAs?: RowsForm;
}

export type RowsForm = 'values' | 'copy-text';

export interface ResolvedChangeFeedOptions {
  readonly source: SqlSource;
  readonly clientId: number;
  readonly kind: DataKind;
  readonly since: Watermark | null;
  readonly batchSize: number;
  readonly rowsAs: RowsForm;
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
    rowsAs: parseRowsForm(options.rowsAs),
  };
}

function parseRowsForm(value: unknown): RowsForm {
  if (value === undefined || value === 'values' || value === 'copy-text') return value ?? 'values';
  throw new Error(`rowsAs is ${JSON.stringify(value)}: use 'values' or 'copy-text'`);
}
