import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetId, type Target } from '@storage-builder/data-model';
import { applyChurn } from '@storage-builder/source-db';
import { StorageUpdater, targetsOf } from './storage-updater';
import { updaterFixture } from './testing/updater-fixture';

let fixture: Awaited<ReturnType<typeof updaterFixture>>;
beforeAll(async () => {
  fixture = await updaterFixture('updater-bad-input');
});
afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
});

const manifestKey = (target: Target) => fixture.store.keys(target).manifest;
const targetKeys = (target: Target) => fixture.store.listKeys(`${fixture.store.options.prefix}/${targetId(target)}/`);

// A manifest damaged in the bucket: the updater fails that target with an error naming the
// manifest and the bad field, leaves the manifest as it found it, adds no object beside it,
// and completes the client's other targets.
describe('StorageUpdater on a corrupt manifest', () => {
  it('fails only the damaged targets, naming the field, and writes nothing for them', async () => {
    const first = await new StorageUpdater({ source: fixture.pool, store: fixture.store, parallelism: 4 }).updateAll();
    expect(first.failed).toBe(0);

    const other = await fixture.store.getText(manifestKey({ clientId: 2, kind: 'entities' }));
    const valid = JSON.parse((await fixture.store.getText(manifestKey({ clientId: 1, kind: 'data-items' })))!.text) as { base: { watermark: string } };
    const damage: Array<[Target, string, RegExp]> = [
      [{ clientId: 1, kind: 'formulas' }, '{"manifestVersion": 1, "target": ', /manifest .*client-1\/formulas\/manifest\.json is not valid JSON/],
      [{ clientId: 1, kind: 'entities' }, other!.text, /client-1\/entities\/manifest\.json: target is client-2\/entities, expected client-1\/entities/],
      [{ clientId: 1, kind: 'data-items' }, JSON.stringify({ ...valid, base: { ...valid.base, watermark: 'ten' } }), /client-1\/data-items\/manifest\.json: base\.watermark is "ten"/],
    ];
    const before = new Map<string, { text: string; keys: string[] }>();
    for (const [target, text] of damage) {
      await fixture.overwrite(manifestKey(target), text);
      before.set(targetId(target), { text, keys: await targetKeys(target) });
    }

    await applyChurn(fixture.pool, { rate: 0.2, seed: 21, clientIds: [1] });
    const run = await new StorageUpdater({ source: fixture.pool, store: fixture.store, maxAttempts: 2 }).update(1);

    const failed = new Map(run.results.flatMap((r) => (r.state === 'failed' ? [[targetId(r.target), r.error] as const] : [])));
    expect([...failed.keys()].sort()).toEqual(damage.map(([target]) => targetId(target)).sort());
    for (const [target, , message] of damage) {
      expect(failed.get(targetId(target))).toMatch(message);
      const now = before.get(targetId(target))!;
      expect((await fixture.store.getText(manifestKey(target)))?.text, targetId(target)).toBe(now.text);
      expect(await targetKeys(target), targetId(target)).toEqual(now.keys);
    }
    expect(run.completed.full + run.completed.incremental).toBe(2);
    for (const target of targetsOf([1]).filter((t) => !failed.has(targetId(t)))) {
      expect(await fixture.snapshotRows(target), targetId(target)).toEqual(await fixture.databaseRows(target));
    }
  });
});
