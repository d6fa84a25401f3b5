import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetId, type Target } from '@storage-builder/data-model';
import { applyChurn } from '@storage-builder/source-db';
import { StorageUpdater } from './storage-updater';
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

// A manifest damaged in the bucket (an interrupted write, a hand edit): the next run rebuilds
// that target from a full read, saying why, and completes the client's other targets. Only a
// manifest of a newer release is left alone, and its target fails naming the version.
describe('StorageUpdater on a corrupt manifest', () => {
  it('rebuilds the damaged targets from a full read, naming the field, and leaves a newer release\'s manifest alone', async () => {
    const first = await new StorageUpdater({ source: fixture.pool, store: fixture.store, parallelism: 4 }).updateAll();
    expect(first.failed).toBe(0);

    const other = await fixture.store.getText(manifestKey({ clientId: 2, kind: 'entities' }));
    const valid = JSON.parse((await fixture.store.getText(manifestKey({ clientId: 1, kind: 'data-items' })))!.text) as { base: { watermark: string } };
    const damage: Array<[Target, string, RegExp]> = [
      [{ clientId: 1, kind: 'formulas' }, '{"manifestVersion": 1, "target": ', /manifest .*client-1\/formulas\/manifest\.json is not valid JSON/],
      [{ clientId: 1, kind: 'entities' }, other!.text, /client-1\/entities\/manifest\.json: target is client-2\/entities, expected client-1\/entities/],
      [{ clientId: 1, kind: 'data-items' }, JSON.stringify({ ...valid, base: { ...valid.base, watermark: 'ten' } }), /client-1\/data-items\/manifest\.json: base\.watermark is "ten"/],
    ];
    for (const [target, text] of damage) await fixture.overwrite(manifestKey(target), text);
    const newer: Target = { clientId: 1, kind: 'raw-data' };
    const newerText = JSON.stringify({ ...valid, manifestVersion: 2 });
    await fixture.overwrite(manifestKey(newer), newerText);
    const newerKeys = await targetKeys(newer);

    await applyChurn(fixture.pool, { rate: 0.2, seed: 21, clientIds: [1] });
    const run = await new StorageUpdater({ source: fixture.pool, store: fixture.store, maxAttempts: 2 }).update(1);

    const byTarget = new Map(run.results.map((r) => [targetId(r.target), r]));
    for (const [target, , message] of damage) {
      const result = byTarget.get(targetId(target))!;
      expect(result, targetId(target)).toMatchObject({ state: 'completed', mode: 'full' });
      expect(result.state === 'completed' && result.reason, targetId(target)).toMatch(message);
      expect(await fixture.snapshotRows(target), targetId(target)).toEqual(await fixture.databaseRows(target));
    }
    const refused = byTarget.get(targetId(newer))!;
    expect(refused.state === 'failed' && refused.error).toMatch(/manifestVersion is 2: .*a newer release wrote it/);
    expect((await fixture.store.getText(manifestKey(newer)))?.text).toBe(newerText);
    expect(await targetKeys(newer)).toEqual(newerKeys);
    expect(run.completed.full + run.completed.incremental).toBe(4);
  });
});
