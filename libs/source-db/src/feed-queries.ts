import { KIND_SCHEMAS, type DataKind, type Watermark } from '@storage-builder/data-model';

/*
 * COPY takes no bind parameters, so values are written into the SQL. Only validated
 * values reach here: a client id is a 32-bit integer, a watermark a decimal xid8, and
 * table and column names come from KIND_SCHEMAS.
 */

/** The SELECT the feed runs for the rows of a (client, kind) at or after `since`, ordered by id. */
export function feedRowsQuery(clientId: number, kind: DataKind, since: Watermark | null): string {
  const { table, columns } = KIND_SCHEMAS[kind];
  const sinceFilter = since === null ? '' : ` AND changed_xid >= '${since}'::xid8`;
  return `SELECT ${columns.map((c) => c.name).join(', ')} FROM ${table} WHERE client_id = ${clientId}${sinceFilter} ORDER BY id`;
}

/**
 * Deleted keys at or after `since`. A tombstone whose key exists in the snapshot is
 * left out: the row was inserted again, and the row itself is what the reader needs.
 */
export function feedTombstonesQuery(clientId: number, kind: DataKind, since: Watermark): string {
  const { table } = KIND_SCHEMAS[kind];
  return (
    `SELECT t.id FROM tombstones t WHERE t.client_id = ${clientId} AND t.kind = '${kind}' AND t.deleted_xid >= '${since}'::xid8` +
    ` AND NOT EXISTS (SELECT 1 FROM ${table} r WHERE r.client_id = t.client_id AND r.id = t.id) ORDER BY t.id`
  );
}

export function copyOut(select: string): string {
  return `COPY (${select}) TO STDOUT`;
}

/**
 * The `COPY … TO STDOUT` the feed streams the rows of a (client, kind) with. Exported so a
 * benchmark can hand the very same statement to `psql` as the floor it is compared with.
 */
export function feedRowsCopy(clientId: number, kind: DataKind, since: Watermark | null): string {
  return copyOut(feedRowsQuery(clientId, kind, since));
}
