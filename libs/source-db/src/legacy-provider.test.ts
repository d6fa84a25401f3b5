import type { RowKey, RowValues, Watermark } from '@storage-builder/data-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LegacyDataProvider } from './legacy-provider';
import { migratedDatabase, type MigratedDatabase } from './testing/migrated-database';
import { WriteTransaction } from './write-transaction';

let db: MigratedDatabase;

beforeAll(async () => {
  db = await migratedDatabase('legacy-test');
  await db.pool.query(`INSERT INTO clients (id, name) VALUES (5, 'five')`);
  await using tx = await WriteTransaction.begin(db.pool);
  await tx.insertRows('raw-data', 5, 1, 7);
  await tx.insertRows('formula-associations', 5, 1, 3);
  await tx.commit();
});

afterAll(async () => {
  await db?.[Symbol.asyncDispose]();
});

function recorder() {
  const calls: string[] = [];
  const versions: Watermark[] = [];
  const items: RowValues[] = [];
  const deleted: RowKey[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  return {
    calls,
    versions,
    items,
    deleted,
    get maxInFlight() {
      return maxInFlight;
    },
    onNewVersion: (version: Watermark) => {
      calls.push('version');
      versions.push(version);
    },
    onUpdated: async (item: RowValues) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((resolve) => setImmediate(resolve));
      calls.push(`item ${item[0]}`);
      items.push(item);
      inFlight--;
    },
    onDeleted: (key: RowKey) => {
      calls.push(`deleted ${key}`);
      deleted.push(key);
    },
  };
}

describe('LegacyDataProvider', () => {
  const provider = () => new LegacyDataProvider({ source: db.pool, batchSize: 3 });

  it('awaits onUpdated once per item, one at a time, after handing over the new version', async () => {
    const r = recorder();
    await provider().getRawDataWithCallbacks(5, null, r.onNewVersion, r.onUpdated, r.onDeleted);
    expect(r.calls).toEqual(['version', 'item 1', 'item 2', 'item 3', 'item 4', 'item 5', 'item 6', 'item 7']);
    expect(r.maxInFlight).toBe(1);
    expect(r.items[0]).toHaveLength(7);
    expect(r.versions[0]).toMatch(/^\d+$/);
  });

  it('delivers deletes per key when given the version it handed out', async () => {
    const first = recorder();
    await provider().getFormulaAssociationsWithCallbacks(5, null, first.onNewVersion, first.onUpdated, first.onDeleted);
    await using tx = await WriteTransaction.begin(db.pool);
    await tx.deleteRows('formula-associations', 5, [2]);
    await tx.updateRows('formula-associations', 5, [3]);
    await tx.commit();

    const second = recorder();
    await provider().getFormulaAssociationsWithCallbacks(5, first.versions[0]!, second.onNewVersion, second.onUpdated, second.onDeleted);
    expect(second.calls).toEqual(['version', 'item 3', 'deleted 2']);
  });

  it('has a method for every kind, and fails like the feed on bad input', async () => {
    const r = recorder();
    const p = provider();
    await p.getEntitiesWithCallbacks(5, null, r.onNewVersion, r.onUpdated, r.onDeleted);
    await p.getDataItemsWithCallbacks(5, null, r.onNewVersion, r.onUpdated, r.onDeleted);
    await p.getFormulasWithCallbacks(5, null, r.onNewVersion, r.onUpdated, r.onDeleted);
    expect(r.calls).toEqual(['version', 'version', 'version']);
    await expect(p.getRawDataWithCallbacks(6, null, r.onNewVersion, r.onUpdated, r.onDeleted)).rejects.toThrow('clientId 6 is not in the clients table');
    await expect(p.getWithCallbacks('rows', 5, null, r.onNewVersion, r.onUpdated, r.onDeleted)).rejects.toThrow('kind is "rows"');
  });

  it('ends the read and gives the connection back when a callback throws', async () => {
    const failing = async () => {
      throw new Error('serializer failed');
    };
    await expect(provider().getRawDataWithCallbacks(5, null, () => undefined, failing, () => undefined)).rejects.toThrow('serializer failed');
    const r = recorder();
    await provider().getRawDataWithCallbacks(5, null, r.onNewVersion, r.onUpdated, r.onDeleted);
    expect(r.items).toHaveLength(7);
  });
});
