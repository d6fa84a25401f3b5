import { isCopyText, type CopyTextRows } from './copy-text';

/**
 * One row of a kind: its values in `KindSchema.columns` order, each in PostgreSQL's text
 * output form as `COPY ... TO STDOUT` prints it with `DateStyle = ISO` (booleans `t`/`f`,
 * unlike `::text`, which gives `true`/`false`), or `null`. Text form keeps rows exact
 * (numeric, bigint, dates) and encoding deterministic.
 */
export type RowValues = readonly (string | null)[];

/** The key of a deleted row: the `id` in text form. */
export type RowKey = string;

/**
 * What the change feed hands to a serializer: upserted rows, as values or as the COPY text
 * they were read as (see `CopyTextRows`), and deleted keys.
 */
export interface ChangeBatch {
  readonly rows: readonly RowValues[] | CopyTextRows;
  readonly tombstones: readonly RowKey[];
}

/** A change batch whose rows are values (what the feed yields unless asked for COPY text). */
export type ValueBatch = ChangeBatch & { readonly rows: readonly RowValues[] };

/** Whether a batch holds any row or tombstone. */
export function hasChanges(batch: ChangeBatch): boolean {
  return batch.tombstones.length > 0 || (isCopyText(batch.rows) ? batch.rows.copyText.length > 0 : batch.rows.length > 0);
}

/**
 * The order of ids (bigint in text form, as PostgreSQL's `ORDER BY id` sorts them): by sign,
 * then by length, then as text. The feed writes every snapshot's rows in this order.
 */
export function compareRowKeys(a: RowKey, b: RowKey): number {
  const aNegative = a.charCodeAt(0) === MINUS;
  if (aNegative !== (b.charCodeAt(0) === MINUS)) return aNegative ? -1 : 1;
  const byMagnitude = a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return aNegative ? -byMagnitude : byMagnitude;
}

const MINUS = 0x2d;
