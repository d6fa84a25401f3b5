/**
 * One row of a kind: its values in `KindSchema.columns` order, each in PostgreSQL's text
 * output form as `COPY ... TO STDOUT` prints it with `DateStyle = ISO` (booleans `t`/`f`,
 * unlike `::text`, which gives `true`/`false`), or `null`. Text form keeps rows exact
 * (numeric, bigint, dates) and encoding deterministic.
 */
export type RowValues = readonly (string | null)[];

/** The key of a deleted row: the `id` in text form. */
export type RowKey = string;

/** What the change feed hands to a serializer: upserted rows and deleted keys. */
export interface ChangeBatch {
  readonly rows: readonly RowValues[];
  readonly tombstones: readonly RowKey[];
}
