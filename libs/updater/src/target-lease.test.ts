import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '@storage-builder/data-model';
import { provisionPostgres } from '@storage-builder/services';
import { createSourcePool, migrate } from '@storage-builder/source-db';
import { silentLogger } from './logger';
import { LeaseLostError, TargetLeases, type HeldElsewhere, type HeldLease } from './target-lease';

let postgres: Awaited<ReturnType<typeof provisionPostgres>>;
let pool: pg.Pool;
beforeAll(async () => {
  postgres = await provisionPostgres({ label: 'target-lease' });
  pool = createSourcePool({ connectionString: postgres.url, max: 6 });
  await migrate(pool);
});
afterAll(async () => {
  await pool?.end();
  await postgres?.stop();
});

const SCOPE = 's3://bucket/prefix';
const leases = (holder: string, ttlMs = 60_000) => new TargetLeases({ pool, scope: SCOPE, holder, ttlMs, logger: silentLogger });
const taken = (lease: HeldLease | HeldElsewhere): HeldLease => {
  if (lease.state !== 'taken') throw new Error(`held by ${lease.holder}`);
  return lease;
};
/** Ends the lease's time as if its holder had stalled past the TTL (its renewals stopped). */
const expire = (target: Target) => pool.query(`UPDATE target_leases SET expires_at = now() - interval '1 second' WHERE target_key = $1`, [`${SCOPE}/client-${target.clientId}/${target.kind}`]);

describe('target leases', () => {
  it('give a target to one writer at a time, name the holder to the others, and hand it on after release', async () => {
    const target: Target = { clientId: 1, kind: 'entities' };
    const first = taken(await leases('a').acquire(target, 'r1'));
    const second = await leases('b').acquire(target, 'r2');
    expect(second).toMatchObject({ state: 'held', holder: 'a run r1' });
    await first.release();
    await first.release();
    const third = taken(await leases('b').acquire(target, 'r3'));
    expect(third.token).toBeGreaterThan(first.token);
    await third.release();
  });

  it('fence a writer whose lease was taken over: its commit never runs, and the new holder commits', async () => {
    const target: Target = { clientId: 2, kind: 'entities' };
    const stalled = taken(await leases('stalled').acquire(target, 'r1'));
    await expire(target);
    const next = taken(await leases('next').acquire(target, 'r2'));
    expect(next.token).toBe(stalled.token + 1);

    let staleCommitted = false;
    const refused = await stalled.fence(async () => (staleCommitted = true)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LeaseLostError);
    expect((refused as Error).message).toMatch(/taken over by next run r2/);
    expect(staleCommitted).toBe(false);
    expect(stalled.lost.aborted).toBe(true);
    expect(await next.fence(async () => 'committed')).toBe('committed');
    await Promise.all([stalled.release(), next.release()]);
  });

  it('keep a commit in progress atomic: a takeover of the expired lease waits until the commit ends, which renewed it', async () => {
    const target: Target = { clientId: 3, kind: 'entities' };
    const writer = taken(await leases('writer').acquire(target, 'r1'));
    // Expired but not yet taken over: the token still holds, so the commit may start.
    await expire(target);
    let finishCommit!: () => void;
    const commitDone = new Promise<void>((done) => (finishCommit = done));
    let inCommit!: () => void;
    const commitStarted = new Promise<void>((resolve) => (inCommit = resolve));
    const committed = writer.fence(async () => {
      inCommit();
      await commitDone;
    });
    try {
      await commitStarted;
      let takenOver = false;
      const takeover = leases('other').acquire(target, 'r2').then((lease) => ((takenOver = true), lease));
      // The takeover waits on the lease row's lock, which the commit holds.
      const waiting = async () => (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0]!.n;
      await expect.poll(waiting, { timeout: 5_000 }).toBe(1);
      expect(takenOver).toBe(false);
      finishCommit();
      await committed;
      expect(await takeover).toMatchObject({ state: 'held', holder: 'writer run r1' });
    } finally {
      finishCommit();
      await committed.catch(() => undefined);
      await writer.release();
    }
  });

  it('renew themselves, and signal the holder when a renewal finds the lease taken over', async () => {
    const target: Target = { clientId: 4, kind: 'entities' };
    const writer = taken(await leases('writer', 1_000).acquire(target, 'r1'));
    const expiry = async () => (await pool.query<{ expires_at: Date }>('SELECT expires_at FROM target_leases WHERE target_key = $1', [`${SCOPE}/client-4/entities`])).rows[0]!.expires_at.getTime();
    const first = await expiry();
    await expect.poll(expiry, { timeout: 5_000 }).toBeGreaterThan(first);
    expect(writer.lost.aborted).toBe(false);
    await pool.query(`UPDATE target_leases SET token = token + 1, holder = 'thief' WHERE target_key = '${SCOPE}/client-4/entities'`);
    await expect.poll(() => writer.lost.aborted, { timeout: 5_000 }).toBe(true);
    await writer.release();
  });
});
