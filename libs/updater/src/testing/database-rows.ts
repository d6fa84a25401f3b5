import type { RowValues, Target } from '@storage-builder/data-model';
import { openChangeFeed, type SqlSource } from '@storage-builder/source-db';

/** The database's rows of a target now, by id, from a full read of the feed: what a committed snapshot must equal. */
export async function databaseRows(source: SqlSource, target: Target): Promise<Map<string, RowValues>> {
  await using feed = await openChangeFeed({ source, clientId: target.clientId, kind: target.kind, since: null });
  const rows = new Map<string, RowValues>();
  for await (const batch of feed.batches()) for (const row of batch.rows) rows.set(row[0] as string, row);
  return rows;
}
