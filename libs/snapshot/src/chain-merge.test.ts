import { compareRowKeys, parseWatermark, type RowValues, type Target } from '@storage-builder/data-model';
import { describe, expect, it } from 'vitest';
import { serializeMergedChain } from './chain-merge';
import { ManifestError } from './manifest';
import { readManifest } from './manifest-store';
import { materializeManifest } from './materialize';
import { SnapshotPublisher } from './snapshot-publisher';
import { snapshotHeader } from './snapshot-header';
import { readSnapshot } from './snapshot-reader';
import { generateRows, inBatches, seededRandom } from './testing/generate-rows';
import { snapshotTestStore } from './testing/object-store';

const target: Target = { clientId: 7, kind: 'raw-data' };
const wm = (n: number) => parseWatermark(String(n));
const byId = (a: RowValues, b: RowValues) => compareRowKeys(a[0]!, b[0]!);

/** A feed's delta of one round, as the feed writes it: changed rows in id order, then deleted ids in id order. */
function change(table: Map<string, RowValues>, round: number, sorted = true) {
  const random = seededRandom(round);
  const ids = [...table.keys()];
  const rows = new Map<string, RowValues>();
  const deleted = new Set<string>();
  for (let i = 0; i < 400; i++) {
    const id = ids[Math.floor(random() * ids.length)]!;
    if (random() < 0.3 && table.has(id)) {
      table.delete(id);
      rows.delete(id);
      deleted.add(id);
    } else {
      // An update, or the re-insert of an id an earlier round deleted.
      const row = [id, String(round), '9', '2030-01-01', null, `round ${round}`, 't'];
      table.set(id, row);
      rows.set(id, row);
      deleted.delete(id);
    }
  }
  // Ids past the base's, and below it.
  for (const row of [...generateRows({ count: 150, seed: round, firstId: 10_000 * round }), ...generateRows({ count: 3, seed: round, firstId: -10 * round })]) {
    table.set(row[0]!, row);
    rows.set(row[0]!, row);
  }
  const order = (list: RowValues[]) => (sorted ? list.sort(byId) : list);
  return { rows: order([...rows.values()]), tombstones: sorted ? [...deleted].sort(compareRowKeys) : [...deleted] };
}

async function chainOf(env: Awaited<ReturnType<typeof snapshotTestStore>>, sorted: boolean) {
  const publisher = new SnapshotPublisher({ store: env.store, maxDeltas: 100, maxDeltaBytesRatio: 100 });
  const table = new Map(generateRows({ count: 6000, seed: 3 }).map((row) => [row[0]!, row]));
  await publisher.publish({ target, fromWatermark: null, toWatermark: wm(100), batches: inBatches([...table.values()], [1000]) });
  for (let round = 1; round <= 5; round++) {
    const delta = change(table, round, sorted);
    await publisher.publish({ target, fromWatermark: wm(100 * round), toWatermark: wm(100 * (round + 1)), batches: inBatches(delta.rows, [333], delta.tombstones) });
  }
  const current = (await readManifest(env.store, target))!;
  expect(current.manifest.deltas).toHaveLength(5);
  return { publisher, table, current };
}

describe('the merged chain', () => {
  it('holds the rows that applying base and deltas in order gives, in id order, and compaction streams it', async () => {
    await using env = await snapshotTestStore();
    const { publisher, table, current } = await chainOf(env, true);
    // Small ranges: every object is read in many ranged GETs.
    const header = snapshotHeader({ target, fromWatermark: null, toWatermark: current.manifest.watermark });
    const file = serializeMergedChain({ store: env.store, manifest: current.manifest, header, rangeBytes: 4096 });
    const merged: RowValues[] = [];
    for await (const batch of (await readSnapshot(file.stream)).batches) {
      expect(batch.type).toBe('rows');
      if (batch.type === 'rows') merged.push(...batch.rows);
    }
    expect((await file.done).rows).toBe(merged.length);
    const applied = [...(await materializeManifest(env.store, current.manifest)).rows.values()].sort(byId);
    expect(merged).toEqual(applied);
    expect(merged).toEqual([...table.values()].sort(byId));

    const compacted = await publisher.compact(target, undefined, current);
    expect(compacted.manifest.deltas).toEqual([]);
    expect(env.warnings.filter((w) => w.includes('not in id order'))).toEqual([]);
    expect([...(await materializeManifest(env.store, compacted.manifest)).rows.values()]).toEqual(applied);
  });

  it('compacts a chain written out of id order in memory, with a warning, to the same rows', async () => {
    await using env = await snapshotTestStore();
    const { publisher, table, current } = await chainOf(env, false);
    const compacted = await publisher.compact(target, undefined, current);
    expect(env.warnings.filter((w) => w.includes('not in id order'))).toHaveLength(1);
    expect([...(await materializeManifest(env.store, compacted.manifest)).rows.values()]).toEqual([...table.values()].sort(byId));
  });

  it('fails as damage when an object of the chain is missing, and commits nothing', async () => {
    await using env = await snapshotTestStore();
    const { publisher, current } = await chainOf(env, true);
    await env.store.deleteQuietly(target, [current.manifest.deltas[2]!.key]);
    const error = await publisher.compact(target, undefined, current).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).code).toBe('missing-object');
    expect(await readManifest(env.store, target)).toEqual(current);
  });
});
