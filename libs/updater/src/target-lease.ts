import { hostname } from 'node:os';
import type pg from 'pg';
import { parseWatermark, targetId, type Target, type Watermark } from '@storage-builder/data-model';
import type { CommitFence, SnapshotManifest } from '@storage-builder/snapshot';
import { inTransaction, withConnection } from '@storage-builder/source-db';
import { errorMessage, type Logger } from './logger';

/** How long a lease lasts without renewal. */
export const DEFAULT_LEASE_TTL_MS = 60_000;

/** Who holds a lease, for logs and for the writers that find it taken. */
export function defaultLeaseHolder(): string {
  return `${hostname()}/${process.pid}`;
}

/** Another writer holds the target: the caller skips it (or waits). */
export interface HeldElsewhere {
  readonly state: 'held';
  readonly holder: string;
  readonly expiresAt: Date;
}

/** A commit was refused because this writer no longer holds the target's lease. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(
    readonly target: Target,
    readonly token: number,
    message: string,
  ) {
    super(message);
  }
}

export interface TargetLeasesOptions {
  /** The source database, where `target_leases` lives (migration 3). */
  pool: pg.Pool;
  /**
   * Where the leased targets' snapshots go (`s3://bucket/prefix`): writers of different
   * buckets or prefixes write different manifests, so they do not exclude each other.
   */
  scope: string;
  holder: string;
  ttlMs: number;
  logger: Logger;
}

/**
 * Per-target write leases in PostgreSQL, which every writer of snapshots already reaches.
 *
 * A lease row rather than a session advisory lock: a row carries its holder's name (so a
 * skipped writer can say who has the target), an expiry that survives a connection pool
 * (no connection is pinned for a target's whole run), and a token that only grows. The
 * token fences commits: a manifest is written only inside {@link HeldLease.fence}, which
 * locks the lease row and checks the token first, so a writer whose lease expired and was
 * taken over (a paused process, a lost connection) can never commit, on any store.
 */
export class TargetLeases {
  constructor(private readonly options: TargetLeasesOptions) {}

  private keyOf(target: Target): string {
    return `${this.options.scope}/${targetId(target)}`;
  }

  /**
   * The watermark each target's last fenced commit recorded (see {@link HeldLease.fence}),
   * in one query; targets never committed under a lease are left out.
   */
  async committedWatermarks(targets: readonly Target[]): Promise<Map<string, Watermark>> {
    const byKey = new Map(targets.map((target) => [this.keyOf(target), targetId(target)]));
    const { rows } = await this.options.pool.query<{ target_key: string; watermark: string }>(
      'SELECT target_key, committed_watermark::text AS watermark FROM target_leases WHERE target_key = ANY($1) AND committed_watermark IS NOT NULL',
      [[...byKey.keys()]],
    );
    return new Map(rows.map((row) => [byKey.get(row.target_key)!, parseWatermark(row.watermark)]));
  }

  /**
   * Takes the target's lease if it is free or expired; otherwise says who holds it. Taking
   * over an expired lease waits for a commit still running under it (it holds the row lock).
   */
  async acquire(target: Target, runId: string): Promise<HeldLease | HeldElsewhere> {
    const key = this.keyOf(target);
    const holder = `${this.options.holder} run ${runId}`;
    for (;;) {
      // A lease in force is reported without waiting: only an expired one is worth the
      // row lock below, which waits for a commit still running under it.
      const current = await this.options.pool.query<{ holder: string; expires_at: Date }>('SELECT holder, expires_at FROM target_leases WHERE target_key = $1 AND expires_at > now()', [key]);
      if (current.rows[0]) return { state: 'held', holder: current.rows[0].holder, expiresAt: current.rows[0].expires_at };
      const { rows } = await this.options.pool.query<{ token: string }>(
        `INSERT INTO target_leases AS l (target_key, token, holder, acquired_at, expires_at)
         VALUES ($1, 1, $2, now(), now() + $3 * interval '1 millisecond')
         ON CONFLICT (target_key) DO UPDATE
           SET token = l.token + 1, holder = EXCLUDED.holder, acquired_at = now(), expires_at = EXCLUDED.expires_at
           WHERE l.expires_at <= now()
         RETURNING token`,
        [key, holder, this.options.ttlMs],
      );
      if (rows[0]) return new HeldLease(this.options.pool, key, target, Number(rows[0].token), holder, this.options.ttlMs, this.options.logger);
      // Renewed or taken between the two statements: look again.
    }
  }
}

/**
 * A lease this writer holds. It renews itself every third of its TTL; `lost` aborts when a
 * renewal finds the token changed (another writer took over) or no renewal succeeded for a
 * whole TTL, so work in flight stops early. The fence is what guarantees safety, though:
 * a renewal can come too late, a fenced commit cannot.
 */
export class HeldLease implements CommitFence {
  readonly state = 'taken';
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private renewedAt = Date.now();
  private released = false;

  constructor(
    private readonly pool: pg.Pool,
    /** The lease row's key: the scope and the target. */
    readonly key: string,
    readonly target: Target,
    readonly token: number,
    readonly holder: string,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.renew(), Math.max(250, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  /** Aborts when this writer can no longer count on the lease. */
  get lost(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Runs `commit` (the manifest write) in a transaction that holds the lease row's lock
   * after checking that the row still carries this writer's token. Nobody can take the
   * lease over until `commit` has settled. The row records the watermark of the manifest
   * `committing` names; a failed `commit` rolls that back, so the recorded watermark is
   * never ahead of the manifest in the store (see `TargetLeases.committedWatermarks`).
   */
  async fence<T>(commit: () => Promise<T>, committing?: Pick<SnapshotManifest, 'watermark'>): Promise<T> {
    // Not flushed at commit: it extends the expiry, which a crash of the server ends anyway,
    // and records a watermark that such a crash can only leave behind the manifest, which is
    // safe (the target is read again). Taking a lease is flushed: a token handed out twice would fence nothing.
    return withConnection(this.pool, (client) =>
      inTransaction(client, 'BEGIN; SET LOCAL synchronous_commit TO off', async () => {
        // Locks the lease row, and renews it, only while it still carries this writer's token.
        const { rowCount } = await client.query(
          `UPDATE target_leases SET expires_at = now() + $3 * interval '1 millisecond', committed_watermark = coalesce($4::xid8, committed_watermark)
            WHERE target_key = $1 AND token = $2`,
          [this.key, this.token, this.ttlMs, committing?.watermark ?? null],
        );
        if (rowCount === 0) throw await this.markLost(client);
        return commit();
      }),
    );
  }

  /** Aborts `lost` with who holds the target now, and returns that error. */
  private async markLost(db: Pick<pg.ClientBase, 'query'>): Promise<LeaseLostError> {
    const { rows } = await db.query<{ token: string; holder: string }>('SELECT token, holder FROM target_leases WHERE target_key = $1', [this.key]).catch(() => ({ rows: [] }));
    const error = new LeaseLostError(
      this.target,
      this.token,
      `${targetId(this.target)}: the lease (token ${this.token}) was taken over by ${rows[0]?.holder ?? 'another writer'} (token ${rows[0]?.token ?? '?'}): this writer commits nothing`,
    );
    this.controller.abort(error);
    return error;
  }

  /** Ends the lease so the next writer need not wait for it to expire. Safe to call twice. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    try {
      await this.pool.query(`UPDATE target_leases SET expires_at = now() WHERE target_key = $1 AND token = $2`, [this.key, this.token]);
    } catch (error) {
      this.logger.log('warn', 'could not release a target lease; it expires by itself', { target: targetId(this.target), token: this.token, error: errorMessage(error) });
    }
  }

  private async renew(): Promise<void> {
    if (this.released || this.lost.aborted) return;
    try {
      // Extends only this token: an expired lease nobody took over is still safely ours.
      const { rowCount } = await this.pool.query(`UPDATE target_leases SET expires_at = now() + $3 * interval '1 millisecond' WHERE target_key = $1 AND token = $2`, [
        this.key,
        this.token,
        this.ttlMs,
      ]);
      if (rowCount === 0) {
        const lost = await this.markLost(this.pool);
        this.logger.log('warn', 'target lease taken over by another writer; stopping this target', { target: targetId(this.target), token: this.token, error: lost.message });
        return;
      }
      this.renewedAt = Date.now();
    } catch (error) {
      if (Date.now() - this.renewedAt >= this.ttlMs) {
        this.logger.log('warn', 'could not renew a target lease for its whole TTL; stopping this target', { target: targetId(this.target), error: errorMessage(error) });
        this.controller.abort(new LeaseLostError(this.target, this.token, `${targetId(this.target)}: the lease could not be renewed for ${this.ttlMs} ms (${errorMessage(error)}): this writer commits nothing`));
      }
    }
  }
}
