import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parseWatermark, type RowValues, type Target } from '@storage-builder/data-model';
import { describe, expect, it } from 'vitest';
import { attemptTag, ManifestError } from './manifest';
import { commitManifest, readManifest } from './manifest-store';
import { materializeTarget } from './materialize';
import { SnapshotConflictError } from './s3-errors';
import { SnapshotPublisher } from './snapshot-publisher';
import { generateRows, inBatches, seededRandom } from './testing/generate-rows';
import { snapshotTestStore } from './testing/object-store';

const target: Target = { clientId: 42, kind: 'raw-data' };
const wm = (n: number) => parseWatermark(String(n));

/** A table that changes between runs, and the feed's view of each change. */
function churn(table: Map<string, RowValues>, round: number) {
  const random = seededRandom(round);
  const upserts: RowValues[] = [];
  const deletes: string[] = [];
  const ids = [...table.keys()];
  for (let i = 0; i < 300; i++) {
    const id = ids[Math.floor(random() * ids.length)]!;
    if (!table.has(id)) continue;
    if (random() < 0.3) {
      table.delete(id);
      deletes.push(id);
    } else {
      const row = [id, '9', '9', '2030-01-01', String(round), `round ${round} ✓`, 't'];
      table.set(id, row);
      upserts.push(row);
    }
  }
  for (const row of generateRows({ count: 200, seed: 100 + round, firstId: 100_000 * round })) {
    table.set(row[0]!, row);
    upserts.push(row);
  }
  // The feed reads each changed row's final state once, under one horizon.
  const final = new Map(upserts.map((row) => [row[0]!, table.get(row[0]!)]));
  return { rows: [...final.values()].filter((r): r is RowValues => r !== undefined), tombstones: [...new Set(deletes)].filter((id) => !table.has(id)) };
}

describe('snapshot publisher and materializer', () => {
  it('base + three deltas + compaction materialize to the same rows as a fresh full snapshot', async () => {
    await using env = await snapshotTestStore();
    const publisher = new SnapshotPublisher({ store: env.store, maxDeltas: 2, maxDeltaBytesRatio: 10 });
    const table = new Map(generateRows({ count: 5000, seed: 1 }).map((row) => [row[0]!, row]));

    const base = await publisher.publish({ target, fromWatermark: null, toWatermark: wm(100), batches: inBatches([...table.values()], [700]) });
    expect(base.manifest).toMatchObject({ generation: 1, watermark: '100', deltas: [] });
    // s3rver (embedded, or the stand-in container) enforces no write conditions; LocalStack and S3 do.
    expect(base.guard).toBe((await env.store.conditionalWrites()).ifNoneMatch ? 'conditional' : 'read-check');

    const results = [];
    for (let round = 1; round <= 3; round++) {
      const change = churn(table, round);
      const result = await publisher.publish({
        target,
        fromWatermark: wm(100 * round),
        toWatermark: wm(100 * (round + 1)),
        batches: inBatches(change.rows, [97], change.tombstones),
        strategy: (['legacy', 'batched', 'streaming'] as const)[round - 1],
      });
      results.push(result);
      const materialized = await materializeTarget(env.store, target);
      expect(materialized!.rows).toEqual(table);
      expect(materialized!.watermark).toBe(String(100 * (round + 1)));
    }
    // A delta never replaces the base: rounds 1-2 append; round 3 passes maxDeltas and compacts.
    expect(results[0]!.manifest.deltas).toHaveLength(1);
    expect(results[1]!.manifest.base.key).toBe(base.object.key);
    expect(results[1]!.manifest.deltas).toHaveLength(2);
    expect(results[2]!.compaction).toBeDefined();
    const compacted = results[2]!.manifest;
    expect(compacted).toMatchObject({ generation: 5, watermark: '400', deltas: [] });
    expect(results[2]!.compaction!.deleted).toHaveLength(4);
    // Only the compacted base and the manifest remain.
    expect(await env.listKeys()).toEqual([compacted.base.key, env.store.keys(target).manifest].sort());

    const fresh = { clientId: 43, kind: 'raw-data' as const };
    await publisher.publish({ target: fresh, fromWatermark: null, toWatermark: wm(400), batches: [{ rows: [...table.values()], tombstones: [] }] });
    const a = await materializeTarget(env.store, target);
    const b = await materializeTarget(env.store, fresh);
    expect(new Map([...a!.rows].sort())).toEqual(new Map([...b!.rows].sort()));
    expect(a!.rows.size).toBe(table.size);
  });

  it('refuses a delta that does not start at the manifest watermark', async () => {
    await using env = await snapshotTestStore();
    const publisher = new SnapshotPublisher({ store: env.store });
    await expect(publisher.publish({ target, fromWatermark: wm(5), toWatermark: wm(6), batches: [] })).rejects.toThrow(/has no readable manifest: publish a full snapshot/);
    await publisher.publish({ target, fromWatermark: null, toWatermark: wm(10), batches: [] });
    const error = await publisher.publish({ target, fromWatermark: wm(5), toWatermark: wm(12), batches: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SnapshotConflictError);
    expect((error as SnapshotConflictError).code).toBe('watermark-mismatch');
  });

  it('leaves the manifest and the bucket unchanged when a publish is killed half-way', async () => {
    await using env = await snapshotTestStore({ partSize: 5 * 1024 * 1024, queueSize: 1 });
    const publisher = new SnapshotPublisher({ store: env.store, compression: 'none' });
    await publisher.publish({ target, fromWatermark: null, toWatermark: wm(10), batches: inBatches(generateRows({ count: 100 }), [100]) });
    const before = await readManifest(env.store, target);
    const keysBefore = await env.listKeys();
    const rows = generateRows({ count: 200_000, seed: 9 });
    async function* failingFeed() {
      yield* inBatches(rows, [10_000]);
      throw new Error('database connection lost');
    }
    await expect(publisher.publish({ target, fromWatermark: wm(10), toWatermark: wm(20), batches: failingFeed() })).rejects.toThrow('database connection lost');
    const controller = new AbortController();
    async function* abortedFeed() {
      for (const batch of inBatches(rows, [10_000])) {
        yield batch;
        if (batch.rows[0]![0] === '150001') controller.abort(new Error('SIGTERM'));
      }
    }
    await expect(publisher.publish({ target, fromWatermark: wm(10), toWatermark: wm(20), batches: abortedFeed(), signal: controller.signal })).rejects.toThrow('SIGTERM');
    expect(await readManifest(env.store, target)).toEqual(before);
    expect(await env.listKeys()).toEqual(keysBefore);
  });

  it('never overwrites an object: an attempt at the same generation and watermarks writes its own key', async () => {
    await using env = await snapshotTestStore();
    const publisher = new SnapshotPublisher({ store: env.store, maxDeltaBytesRatio: 100 });
    await publisher.publish({ target, fromWatermark: null, toWatermark: wm(10), batches: [] });
    const leftover = env.store.keys(target).delta(2, wm(10), wm(20), attemptTag(0));
    await env.s3.send(new PutObjectCommand({ Bucket: env.service.bucket, Key: leftover, Body: 'half of an older attempt' }));
    const result = await publisher.publish({ target, fromWatermark: wm(10), toWatermark: wm(20), batches: inBatches(generateRows({ count: 10 }), [10]) });
    expect(result.object.key).not.toBe(leftover);
    expect(result.object.key).toMatch(/\/g00000002-delta-10-20-f0-[0-9a-f]{8}\.snap$/);
    expect((await env.store.getText(leftover))!.text).toBe('half of an older attempt');
    expect((await materializeTarget(env.store, target))!.rows.size).toBe(10);
  });

  it('removes objects of crashed attempts when a new base commits, but not newer generations or other targets', async () => {
    await using env = await snapshotTestStore();
    const publisher = new SnapshotPublisher({ store: env.store });
    const keys = env.store.keys(target);
    const strays = [keys.base(1, wm(5), attemptTag(0)), keys.delta(1, wm(5), wm(6), attemptTag(0))];
    const newer = keys.base(3, wm(50), attemptTag(0));
    const otherTarget = env.store.keys({ ...target, kind: 'entities' }).base(1, wm(5), attemptTag(0));
    for (const key of [...strays, newer, otherTarget]) await env.store.putSmall(key, 'left by a crashed attempt');

    const base = await publisher.publish({ target, fromWatermark: null, toWatermark: wm(10), batches: inBatches(generateRows({ count: 10 }), [10]) });
    expect([...base.deleted].sort()).toEqual(strays.sort());
    expect(await env.listKeys()).toEqual([base.object.key, keys.manifest, newer, otherTarget].sort());

    // A delta does not list the target: it only removes what its manifest replaced.
    await env.store.putSmall(keys.base(1, wm(7), attemptTag(0)), 'another leftover');
    const delta = await publisher.publish({ target, fromWatermark: wm(10), toWatermark: wm(11), batches: [] });
    expect(delta.deleted).toEqual([]);
  });

  it('under a fence, removes objects of older tokens at any generation and keeps those of newer tokens', async () => {
    await using env = await snapshotTestStore();
    const publisher = new SnapshotPublisher({ store: env.store });
    const keys = env.store.keys(target);
    const fence = { token: 5, fence: <T>(commit: () => Promise<T>) => commit() };
    const lostWriter = keys.delta(9, wm(5), wm(6), attemptTag(4));
    const newerWriter = keys.base(2, wm(50), attemptTag(6));
    for (const key of [lostWriter, newerWriter]) await env.store.putSmall(key, 'another writer');
    const base = await publisher.publish({ target, fromWatermark: null, toWatermark: wm(10), batches: [], fence });
    expect(base.manifest.fence).toBe(5);
    expect(base.object.key).toContain('-f5-');
    expect(base.deleted).toEqual([lostWriter]);
    expect(await env.listKeys()).toEqual([base.object.key, keys.manifest, newerWriter].sort());
    // A writer whose token is below the manifest's can never commit, whatever the store enforces.
    const stale = { token: 4, fence: <T>(commit: () => Promise<T>) => commit() };
    const error = await publisher.publish({ target, fromWatermark: wm(10), toWatermark: wm(11), batches: [], fence: stale }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SnapshotConflictError', code: 'fenced' });
  });

  it('refuses a commit on a manifest that changed since it was read', async () => {
    await using env = await snapshotTestStore();
    const publisher = new SnapshotPublisher({ store: env.store });
    await publisher.publish({ target, fromWatermark: null, toWatermark: wm(10), batches: [] });
    const stale = await readManifest(env.store, target);
    await publisher.publish({ target, fromWatermark: wm(10), toWatermark: wm(11), batches: [] });
    const error = await commitManifest(env.store, stale, { ...stale!.manifest, generation: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SnapshotConflictError);
    expect(['manifest-changed', 'precondition-failed']).toContain((error as SnapshotConflictError).code);
  });

  it('fails clearly on a manifest that names a missing object', async () => {
    await using env = await snapshotTestStore();
    const publisher = new SnapshotPublisher({ store: env.store });
    const { manifest } = await publisher.publish({ target, fromWatermark: null, toWatermark: wm(10), batches: inBatches(generateRows({ count: 10 }), [10]) });
    await env.store.deleteQuietly(target, [manifest.base.key]);
    const error = await materializeTarget(env.store, target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect(error).toMatchObject({ code: 'missing-object', where: manifest.base.key });
  });

  it('fails clearly on an object overwritten after the commit', async () => {
    await using env = await snapshotTestStore();
    const publisher = new SnapshotPublisher({ store: env.store, compression: 'none' });
    const first = await publisher.publish({ target, fromWatermark: null, toWatermark: wm(10), batches: inBatches(generateRows({ count: 10 }), [10]) });
    const other = await publisher.publish({ target: { ...target, clientId: 99 }, fromWatermark: null, toWatermark: wm(10), batches: [] });
    const object = await env.store.get(other.object.key);
    await env.store.upload(first.object.key, object!.body);
    await expect(materializeTarget(env.store, target)).rejects.toThrow(/snapshot is for client-99\/raw-data, expected client-42\/raw-data/);
  });

  it.each([
    ['not JSON', '{"manifestVersion": 1', /is not valid JSON/],
    ['a wrong version', '{"manifestVersion": 7}', /manifestVersion is 7: this reader reads version 1/],
    ['a bad watermark', JSON.stringify({ manifestVersion: 1, target: { clientId: 42, kind: 'raw-data' }, generation: 1, base: { key: 'snapshots/client-42/raw-data/g00000001-base-1.snap', rows: 0, tombstones: 0, bytes: 1, checksum: '00000000', watermark: '-1' } }), /base\.watermark is "-1"/],
    ['a broken chain', JSON.stringify({ manifestVersion: 1, target: { clientId: 42, kind: 'raw-data' }, generation: 2, watermark: '30', committedAt: 'x', base: { key: 'snapshots/client-42/raw-data/g00000001-base-10.snap', rows: 0, tombstones: 0, bytes: 1, checksum: '00000000', watermark: '10' }, deltas: [{ key: 'snapshots/client-42/raw-data/g00000002-delta-20-30.snap', rows: 0, tombstones: 0, bytes: 1, checksum: '00000000', fromWatermark: '20', toWatermark: '30' }] }), /deltas\[0\]\.fromWatermark is 20: the chain reached 10/],
  ])('fails clearly on a malformed manifest (%s)', async (_name, text, message) => {
    await using env = await snapshotTestStore();
    await env.store.putSmall(env.store.keys(target).manifest, text);
    const error = await materializeTarget(env.store, target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).message).toMatch(message);
  });
});
