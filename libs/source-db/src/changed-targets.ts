import { KIND_SCHEMAS, targetId, type DataKind, type Target, type Watermark } from '@storage-builder/data-model';
import type { SqlSource } from './sql-source';

/** A target and the watermark its snapshot was committed at. */
export interface TargetSince {
  readonly target: Target;
  readonly since: Watermark;
}

/**
 * Which of `targets` changed at or after their watermark: a row written or a key deleted,
 * by the change tracking the feed reads (`changed_xid`, `tombstones`). One query for all of
 * them, on the indexes the feed uses. It may name a target whose only changes its snapshot
 * already holds (rows at the watermark's horizon are read again by design); it never leaves
 * out one with a change a feed from that watermark would deliver, so the others need no read.
 */
export async function targetsChangedSince(source: SqlSource, targets: readonly TargetSince[]): Promise<Set<string>> {
  const byKind = new Map<DataKind, TargetSince[]>();
  for (const entry of targets) {
    const ofKind = byKind.get(entry.target.kind);
    if (ofKind) ofKind.push(entry);
    else byKind.set(entry.target.kind, [entry]);
  }
  if (byKind.size === 0) return new Set();
  const params: unknown[] = [];
  const selects = [...byKind].map(([kind, entries]) => {
    params.push(entries.map((e) => e.target.clientId), entries.map((e) => e.since));
    const clients = `$${params.length - 1}::int[]`;
    const since = `$${params.length}::xid8[]`;
    // Table and kind names come from KIND_SCHEMAS, never from input.
    return (
      `SELECT '${kind}' AS kind, c.client_id FROM unnest(${clients}, ${since}) AS c(client_id, since)` +
      ` WHERE EXISTS (SELECT 1 FROM ${KIND_SCHEMAS[kind].table} r WHERE r.client_id = c.client_id AND r.changed_xid >= c.since)` +
      ` OR EXISTS (SELECT 1 FROM tombstones t WHERE t.client_id = c.client_id AND t.kind = '${kind}' AND t.deleted_xid >= c.since)`
    );
  });
  const { rows } = await source.query<{ kind: DataKind; client_id: number }>(selects.join(' UNION ALL '), params);
  return new Set(rows.map((row) => targetId({ clientId: row.client_id, kind: row.kind })));
}
