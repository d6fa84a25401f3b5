import { DATA_KINDS, type DataKind, type RowValues, type Watermark } from '@storage-builder/data-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChurn } from './churn';
import { openChangeFeed } from './change-feed';
import { seedDatabase } from './seeder';
import { applyBatches, drain } from './testing/materialize';
import { migratedDatabase, type MigratedDatabase } from './testing/migrated-database';
import { WriteTransaction } from './write-transaction';

let db: MigratedDatabase;
const CLIENTS = [1, 2, 3];

beforeAll(async () => {
  db = await migratedDatabase('feed-consistency');
  await seedDatabase(db.pool, {
    clients: CLIENTS.length,
    rows: { rawData: 6_000, entities: 300, dataItems: 150, formulas: 90, formulaAssociations: 240 },
    rawDataSkew: 0.7,
    textWidth: 24,
    seed: 11,
  });
});

afterAll(async () => {
  await db?.[Symbol.asyncDispose]();
});

async function read(clientId: number, kind: DataKind, since: Watermark | null) {
  const feed = await openChangeFeed({ source: db.pool, clientId, kind, since, batchSize: 500 });
  return { batches: await drain(feed), watermark: feed.watermark };
}

describe('full read == full-then-incremental reads, on seeded data with churn', () => {
  it('holds for every client and kind through out-of-order churn and a long-running writer', async () => {
    const states = new Map<string, { rows: Map<string, RowValues>; watermark: Watermark }>();
    for (const clientId of CLIENTS) {
      for (const kind of DATA_KINDS) {
        const { batches, watermark } = await read(clientId, kind, null);
        states.set(`${clientId}/${kind}`, { rows: applyBatches(new Map(), batches), watermark });
      }
    }

    // A writer that starts before the first incremental round and commits after it.
    await using longRunning = await WriteTransaction.begin(db.pool);
    await longRunning.insertRows('raw-data', 1, 50_001, 5);
    await longRunning.updateRows('entities', 2, [1, 2, 3]);

    let incrementalRows = 0;
    let tombstones = 0;
    for (const [round, outOfOrder] of [false, true, true].entries()) {
      const churn = await applyChurn(db.pool, { rate: 0.03, seed: 100 + round, outOfOrder });
      expect(churn.inserted + churn.updated + churn.deleted).toBeGreaterThan(0);
      if (round === 1) await longRunning.commit();
      for (const [key, state] of states) {
        const [clientId, kind] = key.split('/') as [string, DataKind];
        const { batches, watermark } = await read(Number(clientId), kind, state.watermark);
        applyBatches(state.rows, batches);
        state.watermark = watermark;
        incrementalRows += batches.reduce((n, b) => n + b.rows.length, 0);
        tombstones += batches.reduce((n, b) => n + b.tombstones.length, 0);
      }
    }
    expect(tombstones).toBeGreaterThan(0);

    for (const [key, state] of states) {
      const [clientId, kind] = key.split('/') as [string, DataKind];
      const fresh = applyBatches(new Map(), (await read(Number(clientId), kind, null)).batches);
      expect([...state.rows.entries()].sort(byKey), key).toEqual([...fresh.entries()].sort(byKey));
    }
    // The long-running writer's rows arrived, although it committed after later writers.
    expect(states.get('1/raw-data')?.rows.has('50005')).toBe(true);
    // Incremental reads follow the changes, not the table.
    const total = [...states.values()].reduce((n, s) => n + s.rows.size, 0);
    expect(incrementalRows).toBeLessThan(total);
  });
});

function byKey(a: [string, RowValues], b: [string, RowValues]): number {
  return Number(a[0]) - Number(b[0]);
}
