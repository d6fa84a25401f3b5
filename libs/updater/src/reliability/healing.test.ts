import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetId, type Target } from '@storage-builder/data-model';
import { readManifest } from '@storage-builder/snapshot';
import { applyChurn } from '@storage-builder/source-db';
import { silentLogger } from '../logger';
import { StorageUpdater } from '../storage-updater';
import { TargetLeases } from '../target-lease';
import type { TargetResult } from '../target-result';
import { updaterFixture, type UpdaterFixture } from '../testing/updater-fixture';

// A target whose manifest names an object that is gone or different (deleted by hand, a
// store that lost it, a writer from before leases) must not fail forever: the next run
// that reads it rebuilds it from a full read, and `verify` finds the ones no run reads.

let fixture: UpdaterFixture;
beforeAll(async () => {
  fixture = await updaterFixture('updater-healing');
  await new StorageUpdater({ source: fixture.pool, store: fixture.store }).updateAll();
});
afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
});

const updater = (options: Partial<ConstructorParameters<typeof StorageUpdater>[0]> = {}) => new StorageUpdater({ source: fixture.pool, store: fixture.store, ...options });
const resultOf = (results: readonly TargetResult[], target: Target) => results.find((r) => targetId(r.target) === targetId(target))!;
const manifestOf = async (target: Target) => (await readManifest(fixture.store, target))!.manifest;

async function expectMatchesDatabase(target: Target) {
  expect(await fixture.snapshotRows(target), targetId(target)).toEqual(await fixture.databaseRows(target));
}

describe('a damaged target heals', () => {
  it('rebuilds a changed target whose base object is missing, without growing its chain', async () => {
    const target: Target = { clientId: 1, kind: 'entities' };
    const before = await manifestOf(target);
    await fixture.store.deleteQuietly(target, [before.base.key]);
    await applyChurn(fixture.pool, { rate: 0.1, seed: 31, clientIds: [1] });

    const run = await updater().update(1);
    expect(run.failed).toBe(0);
    const result = resultOf(run.results, target);
    expect(result).toMatchObject({ state: 'completed', mode: 'full' });
    expect(result.state === 'completed' && result.reason).toMatch(`rebuilt: manifest names ${before.base.key}, which does not exist`);
    const after = await manifestOf(target);
    expect(after.deltas).toEqual([]);
    expect(after.generation).toBeGreaterThan(before.generation);
    await expectMatchesDatabase(target);
  });

  it('rebuilds a target whose delta was overwritten with other bytes of the same size, found when compaction reads it', async () => {
    const target: Target = { clientId: 2, kind: 'raw-data' };
    const compactEarly = updater({ publisher: { maxDeltas: 1, maxDeltaBytesRatio: 100 } });
    await applyChurn(fixture.pool, { rate: 0.05, seed: 32, clientIds: [2] });
    await compactEarly.update(2);
    const chain = await manifestOf(target);
    expect(chain.deltas).toHaveLength(1);
    const delta = chain.deltas[0]!;
    await fixture.overwrite(delta.key, 'x'.repeat(delta.bytes));

    await applyChurn(fixture.pool, { rate: 0.05, seed: 33, clientIds: [2] });
    const run = await compactEarly.update(2);
    const result = resultOf(run.results, target);
    expect(result).toMatchObject({ state: 'completed', mode: 'full' });
    expect(result.state === 'completed' && result.reason).toMatch(new RegExp(`^rebuilt: ${delta.key}`));
    expect((await manifestOf(target)).deltas).toEqual([]);
    await expectMatchesDatabase(target);
  });

  it('verify finds damage on targets that no run reads, reports it and, asked to, heals it', async () => {
    const missing: Target = { clientId: 3, kind: 'formulas' };
    const altered: Target = { clientId: 3, kind: 'data-items' };
    const missingKey = (await manifestOf(missing)).base.key;
    await fixture.store.deleteQuietly(missing, [missingKey]);
    const alteredBase = (await manifestOf(altered)).base;
    // Same size, another trailer checksum: only the checksum check sees it.
    const chunks: Buffer[] = [];
    for await (const chunk of (await fixture.store.get(alteredBase.key))!.body) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    bytes[bytes.length - 1]! ^= 0xff;
    await fixture.overwrite(alteredBase.key, bytes);

    const report = await updater().verify({ clientId: 3, heal: false });
    expect(report).toMatchObject({ targets: 5, broken: 2, healed: 0, ok: 3 });
    expect(report.results.find((r) => targetId(r.target) === targetId(missing))).toMatchObject({ state: 'broken', problem: `manifest names ${missingKey}, which does not exist` });
    expect(report.results.find((r) => targetId(r.target) === targetId(altered))).toMatchObject({ state: 'broken', problem: expect.stringMatching(/has checksum [0-9a-f]{8} in its trailer, the manifest recorded/) });

    const healed = await updater().verify({ clientId: 3 });
    expect(healed).toMatchObject({ targets: 5, broken: 0, healed: 2, ok: 3 });
    for (const r of healed.results) if (r.state === 'healed') expect(r.result).toMatchObject({ state: 'completed', mode: 'full' });
    await expectMatchesDatabase(missing);
    await expectMatchesDatabase(altered);
    expect(await updater().verify({ clientId: 3, depth: 'full' })).toMatchObject({ ok: 5, broken: 0 });
  });

  it('names the holder of a target another writer holds, and verifies it later', async () => {
    const target: Target = { clientId: 1, kind: 'formulas' };
    // Another writer's lease, taken and held as its running target holds it.
    const held = await new TargetLeases({ pool: fixture.pool, scope: fixture.store.location, holder: 'operator-laptop', ttlMs: 60_000, logger: silentLogger }).acquire(target, 'run-7');
    if (held.state !== 'taken') throw new Error(`the target is held by ${held.holder}`);
    // Changed, so the run has work for it (an unchanged target is skipped before any lease).
    await applyChurn(fixture.pool, { rate: 0.5, seed: 21, clientIds: [1], kinds: ['formulas'] });
    try {
      const run = await updater().update(1);
      expect(resultOf(run.results, target)).toMatchObject({ state: 'skipped', reason: expect.stringMatching(/^held by operator-laptop run run-7 \(lease until /) });
      const report = await updater().verify({ clientId: 1 });
      expect(report.results.find((r) => targetId(r.target) === targetId(target))).toMatchObject({ state: 'held', holder: 'operator-laptop run run-7' });
    } finally {
      await held.release();
    }
    expect(resultOf((await updater().update(1)).results, target).state).toBe('completed');
  });
});

// Whoever can write the bucket can write a manifest; a full sync over it must not become a
// way to delete other clients' objects (or anything else in the bucket).
describe('a tampered manifest', () => {
  it('that names other targets and other objects is rebuilt, and nothing outside its target is deleted', async () => {
    const victim: Target = { clientId: 1, kind: 'formula-associations' };
    const neighbour: Target = { clientId: 2, kind: 'formula-associations' };
    const precious = 'other-tenant/precious.dat';
    await fixture.overwrite(precious, 'keep me');
    const neighbourManifestKey = fixture.store.keys(neighbour).manifest;
    const neighbourBase = (await manifestOf(neighbour)).base.key;
    const manifestKey = fixture.store.keys(victim).manifest;
    const tampered = JSON.parse((await fixture.store.getText(manifestKey))!.text) as { base: { key: string }; deltas: Array<Record<string, unknown>> };
    tampered.base.key = precious;
    await fixture.overwrite(manifestKey, JSON.stringify(tampered));

    const run = await updater({ incremental: false }).update(1);
    expect(run.failed).toBe(0);
    const result = resultOf(run.results, victim);
    expect(result).toMatchObject({ state: 'completed', mode: 'full' });
    expect(result.state === 'completed' && result.reason).toMatch(`base.key is "${precious}": not a data object of this target`);
    expect((await fixture.store.getText(precious))?.text).toBe('keep me');
    expect(await fixture.store.getText(neighbourManifestKey)).toBeDefined();
    expect(await fixture.store.head(neighbourBase)).toBeDefined();
    await expectMatchesDatabase(victim);
  });

  it('is never a reason to delete what lies outside the target, whoever asks', async () => {
    const neighbourBase = (await manifestOf({ clientId: 2, kind: 'entities' })).base.key;
    const deleted = await fixture.store.deleteQuietly({ clientId: 1, kind: 'entities' }, [neighbourBase, 'other-tenant/precious.dat', `${neighbourBase}/../x.snap`]);
    expect(deleted).toEqual([]);
    expect(await fixture.store.head(neighbourBase)).toBeDefined();
  });
});

describe('a manifest too large to be one', () => {
  it('is not read whole: the target is rebuilt from a full read', async () => {
    const target: Target = { clientId: 3, kind: 'raw-data' };
    const manifestKey = fixture.store.keys(target).manifest;
    await fixture.overwrite(manifestKey, `{"padding":"${'x'.repeat(2 * 1024 * 1024)}"}`);
    // Changed, so the run reads the target (an unchanged one is left to verify).
    await applyChurn(fixture.pool, { rate: 0.01, seed: 22, clientIds: [3], kinds: ['raw-data'] });
    const run = await updater().update(3);
    const result = resultOf(run.results, target);
    expect(result).toMatchObject({ state: 'completed', mode: 'full' });
    expect(result.state === 'completed' && result.reason).toMatch(/over the 1048576 bytes its reader allows/);
    expect((await fixture.store.getText(manifestKey))!.text.length).toBeLessThan(1024 * 1024);
    await expectMatchesDatabase(target);
  });
});
