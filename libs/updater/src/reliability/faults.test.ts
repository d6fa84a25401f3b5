import { S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetId, type Target } from '@storage-builder/data-model';
import { provisionPostgres, provisionRedis } from '@storage-builder/services';
import { INTERNAL_ERROR, S3FaultProxy, SLOW_DOWN, type InjectedFault } from '@storage-builder/services/testing';
import { materializeTarget, readManifest, SnapshotStore } from '@storage-builder/snapshot';
import { applyChurn, migrate, openChangeFeed, parseDataProfile, seedDatabase } from '@storage-builder/source-db';
import { RedisVersionTracker } from '@storage-builder/version-tracker';
import { StorageUpdater, targetsOf } from '../storage-updater';
import type { TargetResult } from '../target-result';
import { updaterFixture, type UpdaterFixture } from '../testing/updater-fixture';
import type { UpdaterOptions } from '../updater-options';

// Faults injected where production meets them: a proxy in front of the S3-protocol store
// (503 SlowDown, 500, resets, stalls), the source database (pg_terminate_backend while a
// target streams) and the Redis tracker (stopped). The SDK's own retries, then the
// updater's retry table, must carry transient faults; persistent ones fail their target only.

let fixture: UpdaterFixture;
let proxy: S3FaultProxy;
let s3: S3Client;

beforeAll(async () => {
  fixture = await updaterFixture('updater-faults');
  proxy = await S3FaultProxy.start(fixture.services.objectStore.connection.endpoint);
  // An idle connection fails after 1 s, so a stalled request is retried instead of hanging the target.
  s3 = new S3Client({ ...fixture.services.objectStore.clientConfig, endpoint: proxy.url, requestHandler: { socketTimeout: 1_000 } });
});
afterAll(async () => {
  s3?.destroy();
  await proxy?.stop();
  await fixture?.[Symbol.asyncDispose]();
});

const ALL = targetsOf([1, 2, 3]);
const storeAt = (prefix: string, client: S3Client = s3) => new SnapshotStore({ s3: client, bucket: fixture.services.objectStore.bucket, prefix, partSize: 5 * 1024 * 1024 });
/** The shortest backoff of each rule: the waits stay real, the test stays short. */
const updaterAt = (prefix: string, options: Partial<UpdaterOptions> = {}) =>
  new StorageUpdater({ source: fixture.pool, store: storeAt(prefix), parallelism: 3, random: () => 0, ...options });
const underTarget = (prefix: string, target: Target) => (key: string) => key.startsWith(`${prefix}/${targetId(target)}/`);
const result = (results: readonly TargetResult[], target: Target) => results.find((r) => targetId(r.target) === targetId(target))!;

async function expectSnapshotsMatchDatabase(prefix: string, targets: readonly Target[] = ALL): Promise<void> {
  for (const target of targets) {
    const snapshot = await materializeTarget(storeAt(prefix), target);
    expect(snapshot?.rows, targetId(target)).toEqual(await fixture.databaseRows(target));
  }
}

describe('faults at the object store', () => {
  it('retries 503 SlowDown, 500, resets and stalls, and the run completes with every target correct', async () => {
    const prefix = 'transient';
    const stubborn: Target = { clientId: 2, kind: 'formulas' };
    // The shared faults spare the stubborn target, so its attempts count only its own.
    const others = (key: string) => key.startsWith(`${prefix}/`) && !underTarget(prefix, stubborn)(key);
    const snap = (key: string) => others(key) && key.endsWith('.snap');
    const manifest = (key: string) => others(key) && key.endsWith('manifest.json');
    const faults: InjectedFault[] = [
      proxy.inject({ matches: (r) => snap(r.key) && r.operation === 'PutObject', fault: SLOW_DOWN, times: 3 }),
      proxy.inject({ matches: (r) => manifest(r.key) && r.operation === 'GetObject', fault: INTERNAL_ERROR, times: 3 }),
      proxy.inject({ matches: (r) => manifest(r.key) && r.operation === 'PutObject', fault: { kind: 'reset' }, times: 2 }),
      proxy.inject({ matches: (r) => snap(r.key), fault: { kind: 'stall' }, times: 1 }),
      // More failures in a row than the SDK's three attempts: the updater's retry takes over.
      proxy.inject({ matches: (r) => underTarget(prefix, stubborn)(r.key) && r.operation === 'PutObject', fault: SLOW_DOWN, times: 4 }),
    ];
    const run = await updaterAt(prefix).updateAll();
    for (const fault of faults) fault.remove();

    expect(faults.map((f) => f.hits)).toEqual([3, 3, 2, 1, 4]);
    expect(run).toMatchObject({ targets: 15, failed: 0, completed: { full: 15, incremental: 0 } });
    expect(result(run.results, stubborn)).toMatchObject({ state: 'completed', attempts: 2 });
    await expectSnapshotsMatchDatabase(prefix);
  });

  it('fails only the target whose requests keep failing, names the fault, and leaves its snapshot as it was', async () => {
    const prefix = 'persistent';
    const broken: Target = { clientId: 3, kind: 'entities' };
    await updaterAt(prefix).updateAll();
    const before = await readManifest(storeAt(prefix), broken);
    const rowsBefore = (await materializeTarget(storeAt(prefix), broken))?.rows;
    await applyChurn(fixture.pool, { rate: 0.05, seed: 7 });

    // Reads pass, writes fail: the target gets as far as writing, so "left as it was" can fail.
    const writes = new Set(['PutObject', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload']);
    const fault = proxy.inject({ matches: (r) => underTarget(prefix, broken)(r.key) && writes.has(r.operation), fault: INTERNAL_ERROR });
    const run = await updaterAt(prefix).updateAll();
    fault.remove();

    expect(run).toMatchObject({ failed: 1, completed: { incremental: 14 } });
    expect(result(run.results, broken)).toMatchObject({ state: 'failed', attempts: 3, error: 'S3 InternalError (HTTP 500): injected fault' });
    expect((await readManifest(storeAt(prefix), broken))?.manifest).toEqual(before?.manifest);
    expect((await materializeTarget(storeAt(prefix), broken))?.rows).toEqual(rowsBefore);
    await expectSnapshotsMatchDatabase(prefix, ALL.filter((t) => targetId(t) !== targetId(broken)));

    const healed = await updaterAt(prefix).updateAll();
    expect(healed.failed).toBe(0);
    await expectSnapshotsMatchDatabase(prefix);
  });
});

describe('a source connection terminated mid-stream', () => {
  it('retries the target on a new connection and publishes every row', async () => {
    // A target of several 5 MiB parts, uploaded one at a time, so the COPY is still
    // streaming while the first part is held at the proxy.
    await using source = await provisionPostgres({ label: 'updater-terminate' });
    const pool = new pg.Pool({ connectionString: source.url, max: 4 });
    try {
      await migrate(pool);
      await seedDatabase(pool, parseDataProfile({ clients: 1, rows: { rawData: 120_000, entities: 10, dataItems: 10, formulas: 10, formulaAssociations: 10 }, rawDataSkew: 1, textWidth: 400, seed: 3 }));
      const big: Target = { clientId: 1, kind: 'raw-data' };
      const prefix = 'terminated';
      const store = new SnapshotStore({ s3, bucket: fixture.services.objectStore.bucket, prefix, partSize: 5 * 1024 * 1024, queueSize: 1 });
      const held = proxy.inject({ matches: (r) => underTarget(prefix, big)(r.key) && r.operation === 'UploadPart', fault: { kind: 'hold' }, times: 1 });
      const running = new StorageUpdater({ source: pool, store, compression: 'none', random: () => 0 }).runTargets([big]);

      await held.reached;
      const terminated = await pool.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query ILIKE 'copy%'",
      );
      expect(terminated.rows, 'a COPY is streaming').toHaveLength(1);
      await pool.query('SELECT pg_terminate_backend($1)', [terminated.rows[0]!.pid]);
      held.release();
      held.remove();

      const run = await running;
      expect(run.results[0]).toMatchObject({ state: 'completed', attempts: 2 });
      const rows = new Map<string, unknown>();
      {
        await using feed = await openChangeFeed({ source: pool, clientId: 1, kind: 'raw-data', since: null });
        for await (const batch of feed.batches()) for (const row of batch.rows) rows.set(row[0] as string, row);
      }
      expect((await materializeTarget(store, big))?.rows).toEqual(rows);
    } finally {
      await pool.end();
    }
  });
});

describe('the Redis tracker stopped', () => {
  it('keeps running from the manifest, reports the failed saves, and the snapshots stay exact', async () => {
    // A Redis of this test's own, since it is stopped half-way.
    const redis = await provisionRedis({ label: 'updater-redis-stopped', env: { ...process.env, REDIS_URL: undefined } });
    const tracker = new RedisVersionTracker({ redis: redis.url, keyPrefix: redis.keyPrefix });
    try {
      const prefix = 'redis-stopped';
      const first = await updaterAt(prefix, { tracker }).updateAll();
      expect(first).toMatchObject({ failed: 0, completed: { full: 15 } });

      await redis.stop();
      await applyChurn(fixture.pool, { rate: 0.05, seed: 8, outOfOrder: true });
      const second = await updaterAt(prefix, { tracker }).updateAll();
      expect(second).toMatchObject({ failed: 0, completed: { incremental: 15 } });
      for (const r of second.results) expect(r).toMatchObject({ state: 'completed', trackerError: expect.any(String) });
      await expectSnapshotsMatchDatabase(prefix);
    } finally {
      await tracker.stop();
      await redis.stop();
    }
  });
});
