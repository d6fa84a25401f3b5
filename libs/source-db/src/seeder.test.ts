import { KIND_SCHEMAS } from '@storage-builder/data-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChurn } from './churn';
import type { DataProfile } from './data-profile';
import { migrate } from './migrate';
import { seedDatabase } from './seeder';
import { migratedDatabase, type MigratedDatabase } from './testing/migrated-database';

let db: MigratedDatabase;

const profile: DataProfile = {
  clients: 5,
  rows: { rawData: 10_000, entities: 500, dataItems: 200, formulas: 100, formulaAssociations: 300 },
  rawDataSkew: 0.8,
  textWidth: 50,
  seed: 3,
};


beforeAll(async () => {
  db = await migratedDatabase('seeder-test');
});

afterAll(async () => {
  await db?.[Symbol.asyncDispose]();
});

/** A digest of every table's snapshot columns, in a schema: equal digests, equal data. */
async function digest(schema: string): Promise<string[]> {
  const digests: string[] = [];
  for (const { table, columns } of Object.values(KIND_SCHEMAS)) {
    // Snapshot columns only: changed_xid differs between the two loads by design.
    const { rows } = await db.pool.query<{ md5: string }>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY client_id, id)) AS md5
         FROM (SELECT client_id, ${columns.map((c) => c.name).join(', ')} FROM ${schema}.${table}) AS t`,
    );
    digests.push(rows[0]!.md5);
  }
  return digests;
}

describe('seedDatabase', () => {
  it('loads the profile: counts, skew towards client 1, widths, references inside existing ids', async () => {
    const result = await seedDatabase(db.pool, profile);
    expect(result.rows).toEqual({ 'raw-data': 10_000, entities: 500, 'data-items': 200, formulas: 100, 'formula-associations': 300 });
    const { rows } = await db.pool.query<{ client_id: number; n: number }>('SELECT client_id, count(*)::int AS n FROM raw_data GROUP BY 1 ORDER BY 1');
    expect(rows).toEqual([
      { client_id: 1, n: 8_000 },
      { client_id: 2, n: 500 },
      { client_id: 3, n: 500 },
      { client_id: 4, n: 500 },
      { client_id: 5, n: 500 },
    ]);
    const { rows: shape } = await db.pool.query<{ width: number; dangling: number; nulls: number }>(
      `SELECT max(length(text_value))::int AS width,
              count(*) FILTER (WHERE entity_id > 100 OR data_item_id > 40)::int AS dangling,
              count(*) FILTER (WHERE text_value IS NULL)::int AS nulls
         FROM raw_data`,
    );
    expect(shape[0]).toMatchObject({ width: 50, dangling: 0 });
    expect(shape[0]!.nulls).toBeGreaterThan(0);
    await expect(seedDatabase(db.pool, profile)).rejects.toThrow('the database already has clients: seedDatabase fills an empty database');
    await expect(seedDatabase(db.pool, { ...profile, seed: -1 })).rejects.toThrow('profile.seed must be');
  });

  it('gives the same data for the same profile, in another schema of the same database', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('CREATE SCHEMA again; SET search_path = again');
      await migrate(client);
      await seedDatabase(client, profile);
    } finally {
      await client.query('RESET search_path');
      client.release();
    }
    expect(await digest('again')).toEqual(await digest('public'));
  });
});

describe('applyChurn', () => {
  it('inserts, updates and deletes about `rate` of each table, out of order when asked', async () => {
    const before = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM raw_data WHERE client_id = 1');
    const result = await applyChurn(db.pool, { rate: 0.05, seed: 9, clientIds: [1], kinds: ['raw-data'], outOfOrder: true });
    expect(result.inserted).toBe(400);
    expect(result.updated).toBeGreaterThan(250);
    expect(result.updated).toBeLessThan(550);
    expect(result.deleted).toBeGreaterThan(250);
    expect(result.deleted).toBeLessThan(550);
    const after = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM raw_data WHERE client_id = 1');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n + result.inserted - result.deleted);
    // The first-committed transaction has the larger xid.
    const [first, second] = result.commitOrder.map(BigInt);
    expect(first! > second!).toBe(true);
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM tombstones WHERE kind = 'raw-data' AND deleted_xid = $1::xid8`, [String(first)]);
    expect(rows[0]!.n).toBe(result.deleted);
  });

  it('rejects a bad rate or seed, naming it', async () => {
    await expect(applyChurn(db.pool, { rate: 2, seed: 1 })).rejects.toThrow('rate is 2: use a fraction');
    await expect(applyChurn(db.pool, { rate: 0.1, seed: 1.5 })).rejects.toThrow('seed is 1.5: use an integer');
  });
});
