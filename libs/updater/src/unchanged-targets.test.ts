import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWatermark, targetId, type Target } from '@storage-builder/data-model';
import { applyChurn } from '@storage-builder/source-db';
import { silentLogger } from './logger';
import { StorageUpdater, targetsOf } from './storage-updater';
import { TargetLeases } from './target-lease';
import { findPsql, readWithPsql } from './testing/psql-reader';
import { updaterFixture, type UpdaterFixture } from './testing/updater-fixture';

let fixture: UpdaterFixture;
/** S3 commands sent while `counting` is set. */
const requests: string[] = [];
let counting = false;
beforeAll(async () => {
  fixture = await updaterFixture('unchanged-targets');
  fixture.s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (counting) requests.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
});
afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
});

async function counted<T>(work: () => Promise<T>): Promise<T> {
  requests.length = 0;
  counting = true;
  try {
    return await work();
  } finally {
    counting = false;
  }
}

const psql = findPsql();

describe.skipIf(!psql)('an incremental run', () => {
  it('skips the targets nothing changed in without a request to the store, and reads the one that changed', async () => {
    const updater = new StorageUpdater({ source: fixture.pool, store: fixture.store, parallelism: 4 });
    expect((await updater.updateAll()).completed.full).toBe(15);

    const quiet = await counted(() => updater.updateAll());
    expect(requests).toEqual([]);
    expect(quiet.completed).toEqual({ full: 0, incremental: 15 });
    for (const result of quiet.results) expect(result).toMatchObject({ state: 'completed', attempts: 0, reason: expect.stringMatching(/^nothing changed since watermark \d+ \(one change check for the run\)$/) });

    const changed: Target = { clientId: 2, kind: 'entities' };
    const churn = await applyChurn(fixture.pool, { rate: 0.3, seed: 5, clientIds: [2], kinds: ['entities'] });
    expect(churn.inserted + churn.updated + churn.deleted).toBeGreaterThan(0);
    const next = await counted(() => updater.updateAll());
    expect(next.results.filter((r) => r.state === 'completed' && r.attempts > 0).map((r) => targetId(r.target))).toEqual([targetId(changed)]);
    expect(requests.length).toBeGreaterThan(0);
    // psql's reading of the database, not the feed's: every snapshot, skipped or read, holds its rows.
    for (const target of targetsOf([1, 2, 3])) expect(await fixture.snapshotRows(target), targetId(target)).toEqual(await readWithPsql(psql!, fixture.services.postgres.url, target));
  });

  it('reads every target of a full run, whatever changed', async () => {
    const run = await new StorageUpdater({ source: fixture.pool, store: fixture.store, incremental: false }).update(3);
    expect(run.completed).toEqual({ full: 5, incremental: 0 });
  });
});

describe('the watermark a fenced commit records', () => {
  it('is kept only when the commit succeeded', async () => {
    const target: Target = { clientId: 1, kind: 'formulas' };
    const leases = new TargetLeases({ pool: fixture.pool, scope: 's3://fence-check/prefix', holder: 'test', ttlMs: 60_000, logger: silentLogger });
    const recorded = async () => (await leases.committedWatermarks([target])).get(targetId(target));
    const lease = await leases.acquire(target, 'r1');
    if (lease.state !== 'taken') throw new Error(`held by ${lease.holder}`);
    try {
      expect(await lease.fence(async () => 'committed', { watermark: parseWatermark('700') })).toBe('committed');
      expect(await recorded()).toBe('700');
      await expect(lease.fence(() => Promise.reject(new Error('PUT failed')), { watermark: parseWatermark('900') })).rejects.toThrow('PUT failed');
      expect(await recorded()).toBe('700');
    } finally {
      await lease.release();
    }
  });
});
