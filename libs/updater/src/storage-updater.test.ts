import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWatermark, targetId, type Target } from '@storage-builder/data-model';
import { applyChurn } from '@storage-builder/source-db';
import { DEFAULT_VERSION_KEY_PREFIX, RedisVersionTracker } from '@storage-builder/version-tracker';
import type { ProgressEvent } from './progress-events';
import { StorageUpdater, targetsOf } from './storage-updater';
import type { TargetResult } from './target-result';
import { updaterFixture } from './testing/updater-fixture';

let fixture: Awaited<ReturnType<typeof updaterFixture>>;
beforeAll(async () => {
  fixture = await updaterFixture('updater-test');
});
afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
});

const allTargets = () => targetsOf([1, 2, 3]);

async function expectSnapshotsMatchDatabase(targets: readonly Target[]): Promise<void> {
  for (const target of targets) {
    const [snapshot, database] = await Promise.all([fixture.snapshotRows(target), fixture.databaseRows(target)]);
    expect(snapshot, targetId(target)).toEqual(database);
  }
}

const completed = (results: readonly TargetResult[]) => results.filter((r): r is Extract<TargetResult, { state: 'completed' }> => r.state === 'completed');

describe('StorageUpdater', () => {
  it('runs full, then incremental through churn with out-of-order commits, and S3 holds exactly the database rows', async () => {
    const updater = new StorageUpdater({ source: fixture.pool, store: fixture.store, parallelism: 4 });
    const first = await updater.updateAll();
    expect(first.targets).toBe(15);
    expect(first.completed).toEqual({ full: 15, incremental: 0 });
    expect(completed(first.results).every((r) => r.reason === 'no snapshot yet')).toBe(true);
    await expectSnapshotsMatchDatabase(allTargets());

    for (const [round, serializer] of (['streaming', 'batched', 'legacy'] as const).entries()) {
      const churn = await applyChurn(fixture.pool, { rate: 0.05, seed: 100 + round, outOfOrder: true });
      expect(churn.inserted + churn.updated + churn.deleted).toBeGreaterThan(0);
      const run = await new StorageUpdater({ source: fixture.pool, store: fixture.store, serializer, parallelism: 3 }).updateAll();
      expect(run.failed).toBe(0);
      expect(run.completed.incremental).toBe(15);
      expect(run.tombstones).toBeGreaterThan(0);
      await expectSnapshotsMatchDatabase(allTargets());
    }
  });

  it('publishes nothing when nothing changed, and reads everything again with incremental off', async () => {
    const quiet = await new StorageUpdater({ source: fixture.pool, store: fixture.store }).update(2);
    expect(quiet.results.map((r) => r.state === 'completed' && [r.mode, r.rows, r.objectKey])).toEqual(
      Array(5).fill(['incremental', 0, undefined]),
    );
    const legacy = await new StorageUpdater({ source: fixture.pool, store: fixture.store, serializer: 'legacy', parallelism: 1, incremental: false }).update(2);
    expect(legacy.completed).toEqual({ full: 5, incremental: 0 });
    expect(completed(legacy.results)[0]!.reason).toBe('incremental sync is off (the legacy currentVersion: null)');
    await expectSnapshotsMatchDatabase(targetsOf([2]));
  });

  it('falls back to a full sync when the Redis version is missing or ahead of the manifest, and says why', async () => {
    const redis = new Redis(fixture.services.redis.url);
    const keyPrefix = `${fixture.services.redis.keyPrefix}${DEFAULT_VERSION_KEY_PREFIX}`;
    const tracker = new RedisVersionTracker({ redis, keyPrefix });
    try {
      const updater = new StorageUpdater({ source: fixture.pool, store: fixture.store, tracker });
      // Every target changed, so the run reads each one (an unchanged target is skipped before the tracker is asked).
      await applyChurn(fixture.pool, { rate: 0.5, seed: 10, clientIds: [3] });
      const missing = await updater.update(3);
      expect(completed(missing.results).map((r) => [r.mode, r.reason])).toEqual(Array(5).fill(['full', 'no saved version (missing or expired)']));

      const target: Target = { clientId: 3, kind: 'entities' };
      const saved = await tracker.get(target);
      expect(saved.state).toBe('found');
      const ahead = parseWatermark(String(BigInt(saved.state === 'found' ? saved.version.watermark : '0') + 1000n));
      await tracker.save(target, { watermark: ahead, savedAt: new Date().toISOString(), runId: 'test' });
      // A target the run reads (it changed): one with no change is skipped without a look at the tracker.
      await applyChurn(fixture.pool, { rate: 0.2, seed: 11, clientIds: [3], kinds: ['entities'] });
      const run = await updater.runTargets([target]);
      const [result] = completed(run.results);
      expect(result?.mode).toBe('full');
      expect(result?.reason).toMatch(/^saved version \d+ is ahead of the manifest's \d+$/);
      expect(await tracker.get(target)).toMatchObject({ state: 'found', version: { watermark: result!.watermark } });
      await expectSnapshotsMatchDatabase([target]);
    } finally {
      redis.disconnect();
    }
  });

  it('records a failing target and completes the others', async () => {
    // A manifest of a newer release is left alone: that release may still be writing it.
    const broken: Target = { clientId: 1, kind: 'formulas' };
    await fixture.overwrite(fixture.store.keys(broken).manifest, '{"manifestVersion": 2, "target": "nonsense"}');
    await applyChurn(fixture.pool, { rate: 0.05, seed: 7, clientIds: [1] });
    const run = await new StorageUpdater({ source: fixture.pool, store: fixture.store, maxAttempts: 2 }).update(1);
    const failed = run.results.filter((r) => r.state === 'failed');
    expect(failed.map((r) => targetId(r.target))).toEqual(['client-1/formulas']);
    expect(failed[0]!.state === 'failed' && failed[0]!.error).toMatch(/manifestVersion is 2: this reader reads version 1; a newer release wrote it/);
    expect(run.completed.incremental).toBe(4);
    await expectSnapshotsMatchDatabase(targetsOf([1]).filter((t) => t.kind !== 'formulas'));
  });

  it('stops starting targets when aborted and leaves each target committed or untouched', async () => {
    await applyChurn(fixture.pool, { rate: 0.05, seed: 8, clientIds: [2, 3] });
    const controller = new AbortController();
    const events: ProgressEvent['type'][] = [];
    const updater = new StorageUpdater({
      source: fixture.pool,
      store: fixture.store,
      parallelism: 1,
      onProgress: (event) => {
        events.push(event.type);
        if (event.type === 'target-finished' && event.done === 2) controller.abort();
      },
    });
    const run = await updater.runTargets(targetsOf([2, 3]), { signal: controller.signal });
    expect(run.results.map((r) => r.state)).toEqual(['completed', 'completed', ...Array(8).fill('skipped')]);
    expect(events[0]).toBe('run-started');
    expect(events.at(-1)).toBe('run-finished');
    // Skipped targets are untouched: their snapshots still match the state before the churn, so a rerun converges.
    const rerun = await new StorageUpdater({ source: fixture.pool, store: fixture.store }).runTargets(targetsOf([2, 3]));
    expect(rerun.failed).toBe(0);
    await expectSnapshotsMatchDatabase(targetsOf([2, 3]));
  });

  it('drains: stops starting targets but lets those in flight commit, and tells this run\'s listener', async () => {
    await applyChurn(fixture.pool, { rate: 0.05, seed: 9, clientIds: [3] });
    const drain = new AbortController();
    const seen: ProgressEvent['type'][] = [];
    const run = await new StorageUpdater({ source: fixture.pool, store: fixture.store, parallelism: 2 }).runTargets(targetsOf([3]), {
      drain: drain.signal,
      onProgress: (event) => {
        seen.push(event.type);
        if (event.type === 'target-finished') drain.abort();
      },
    });
    // Two targets were in flight when the drain began; both committed, the rest never started.
    expect(run.results.map((r) => r.state)).toEqual(['completed', 'completed', 'skipped', 'skipped', 'skipped']);
    expect(seen.filter((t) => t === 'target-started')).toHaveLength(2);
    await expectSnapshotsMatchDatabase(targetsOf([3]).slice(0, 2));
  });

  it('rejects bad settings and unreachable dependencies before any work', async () => {
    expect(() => new StorageUpdater({ source: fixture.pool, store: fixture.store, parallelism: 0 })).toThrow(
      'parallelism is 0: use a whole number from 1 (sequential) to 64',
    );
    expect(() => new StorageUpdater({ source: fixture.pool, store: fixture.store, parallelism: 1000 })).toThrow(/parallelism is 1000/);
    const updater = new StorageUpdater({ source: fixture.pool, store: fixture.store });
    await expect(updater.update(999)).rejects.toThrow("clientId 999 is not in the source's clients table");
    await expect(updater.update('abc')).rejects.toThrow('clientId is "abc": a client id is a positive 32-bit integer');
    // The tracker is a cache of the manifests: without it a run goes on, and says so.
    const unreachable = new RedisVersionTracker({ redis: 'redis://127.0.0.1:9' });
    const logs: Array<{ message: string; fields: unknown }> = [];
    await applyChurn(fixture.pool, { rate: 0.2, seed: 12, clientIds: [2] });
    const run = await new StorageUpdater({ source: fixture.pool, store: fixture.store, tracker: unreachable, logger: { log: (_level, message, fields) => logs.push({ message, fields }) } }).update(2);
    await unreachable.stop();
    expect(run.results.filter((r) => r.state !== 'completed')).toEqual([]);
    expect(logs[0]).toMatchObject({ message: 'the version tracker cannot be reached; each target starts from its manifest', fields: { error: expect.stringMatching(/the Redis version tracker cannot reach Redis/) } });
    const read = run.results.filter((r) => r.state === 'completed' && r.attempts > 0);
    expect(read.length).toBeGreaterThan(0);
    expect(read.every((r) => r.state === 'completed' && r.trackerError !== undefined)).toBe(true);
  });
});
