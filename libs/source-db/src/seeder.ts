import { KIND_SCHEMAS, type DataKind } from '@storage-builder/data-model';
import { parseDataProfile, rowsPerClient, ROW_KIND_FIELDS, type DataProfile } from './data-profile';
import { assertSchemaCurrent } from './migrate';
import { insertGeneratedRowsSql } from './row-generators';
import { inTransaction, withConnection, type SqlSource } from './sql-source';

export interface SeedResult {
  readonly clients: number;
  /** Rows inserted per kind, over all clients. */
  readonly rows: Readonly<Record<DataKind, number>>;
  readonly elapsedMs: number;
}

const FIELD_KINDS: Readonly<Record<(typeof ROW_KIND_FIELDS)[number], DataKind>> = {
  rawData: 'raw-data',
  entities: 'entities',
  dataItems: 'data-items',
  formulas: 'formulas',
  formulaAssociations: 'formula-associations',
};

/**
 * Fills an empty, migrated database from a profile, in SQL (`INSERT ... SELECT` over
 * `generate_series`), in one transaction: the data never leaves the server. Same profile,
 * same rows, on any server.
 */
export async function seedDatabase(source: SqlSource, profile: DataProfile, clock: () => number = performance.now.bind(performance)): Promise<SeedResult> {
  const valid = parseDataProfile(profile);
  const started = clock();
  const rows: Record<DataKind, number> = { 'raw-data': 0, entities: 0, 'data-items': 0, formulas: 0, 'formula-associations': 0 };
  await withConnection(source, async (client) => {
    await assertSchemaCurrent(client);
    const { rows: existing } = await client.query<{ present: boolean }>('SELECT EXISTS (SELECT 1 FROM clients) AS present');
    if (existing[0]?.present) throw new Error('the database already has clients: seedDatabase fills an empty database; provision a fresh one');
    await inTransaction(client, 'BEGIN', async () => {
      await client.query(`INSERT INTO clients (id, name) SELECT c, 'Client ' || c FROM generate_series(1, ${valid.clients}) AS c`);
      for (let clientId = 1; clientId <= valid.clients; clientId++) {
        const references = {
          entities: String(rowsPerClient(valid, 'entities', clientId)),
          dataItems: String(rowsPerClient(valid, 'dataItems', clientId)),
          formulas: String(rowsPerClient(valid, 'formulas', clientId)),
        };
        for (const field of ROW_KIND_FIELDS) {
          const count = rowsPerClient(valid, field, clientId);
          if (count === 0) continue;
          const kind = FIELD_KINDS[field];
          await client.query(insertGeneratedRowsSql({ kind, clientId, fromId: 1, count, seed: valid.seed, textWidth: valid.textWidth, references }));
          rows[kind] += count;
        }
      }
    });
    // Fresh statistics, so the feed's first queries get the plans they will get in production.
    await client.query(`ANALYZE clients, ${Object.values(KIND_SCHEMAS).map((s) => s.table).join(', ')}`);
  });
  return { clients: valid.clients, rows, elapsedMs: clock() - started };
}
