import type pg from 'pg';

/**
 * Why the next watermark is where it is. The watermark is the oldest transaction still
 * running when the feed's snapshot was taken; a long-running writer anywhere on the
 * server keeps it back, and every later incremental read re-reads everything written
 * since that transaction began. Log this so a stuck horizon is visible.
 */
export interface HorizonReport {
  /** Transactions that were running at the snapshot: their changes are re-read next time. */
  readonly runningTransactions: number;
  /** Transaction ids between the watermark and the snapshot's upper bound (xmax - xmin). */
  readonly xidLag: number;
  /** The oldest running transaction that has written something, if any. */
  readonly oldest: OldestTransaction | null;
}

export interface OldestTransaction {
  readonly pid: number;
  readonly database: string | null;
  readonly state: string | null;
  /** Milliseconds since the transaction began. */
  readonly ageMs: number;
  /** How many transaction ids were assigned since it took its own. */
  readonly xidAge: number;
}

/** Reads the report; `pg_stat_activity` is not part of the snapshot, so it is close to, not exactly at, the snapshot. */
export async function readHorizon(client: pg.ClientBase, xmin: string, xmax: string, runningTransactions: number): Promise<HorizonReport> {
  const { rows } = await client.query<{ pid: number; database: string | null; state: string | null; age_ms: number; xid_age: number }>(
    `SELECT pid, datname AS database, state,
            (extract(epoch FROM clock_timestamp() - xact_start) * 1000)::float8 AS age_ms,
            age(backend_xid) AS xid_age
       FROM pg_stat_activity
      WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
      ORDER BY age(backend_xid) DESC
      LIMIT 1`,
  );
  const row = rows[0];
  return {
    runningTransactions,
    xidLag: Number(BigInt(xmax) - BigInt(xmin)),
    oldest: row
      ? { pid: row.pid, database: row.database, state: row.state, ageMs: Math.round(row.age_ms), xidAge: row.xid_age }
      : null,
  };
}
