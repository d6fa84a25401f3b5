import { DATA_KINDS, KIND_SCHEMAS, perKind, type DataKind } from '@storage-builder/data-model';
import { parseDataProfile, rowsOfKind, type DataProfile } from './data-profile';
import { assertSchemaCurrent } from './migrate';
import { insertGeneratedRowsSql } from './row-generators';
import { inTransaction, withConnection, type SqlSource } from './sql-source';

export interface SeedResult {
  readonly clients: number;
  /** Rows inserted per kind, over all clients. */
  readonly rows: Readonly<Record<DataKind, number>>;
  readonly elapsedMs: number;
}

/**
 * Fills an empty, migrated database from a profile, in SQL (`INSERT ... SELECT` over
 * `generate_series`), in one transaction: the data never leaves the server. Same profile,
 * same rows, on any server.
 */
export async function seedDatabase(source: SqlSource, profile: DataProfile, clock: () => number = performance.now.bind(performance)): Promise<SeedResult> {
  const valid = parseDataProfile(profile);
  const started = clock();
  const rows = perKind(() => 0);
  await withConnection(source, async (client) => {
    await assertSchemaCurrent(client);
    const { rows: existing } = await client.query<{ present: boolean }>('SELECT EXISTS (SELECT 1 FROM clients) AS present');
    if (existing[0]?.present) throw new Error('the database already has clients: seedDatabase fills an empty database; provision a fresh one');
    await inTransaction(client, 'BEGIN', async () => {
      await client.query(`INSERT INTO clients (id, name) SELECT c, 'Client ' || c FROM generate_series(1, ${valid.clients}) AS c`);
      for (let clientId = 1; clientId <= valid.clients; clientId++) {
        const referenceCount = (referenced: DataKind) => String(rowsOfKind(valid, referenced, clientId));
        for (const kind of DATA_KINDS) {
          const count = rowsOfKind(valid, kind, clientId);
          if (count === 0) continue;
          await client.query(insertGeneratedRowsSql({ kind, clientId, fromId: 1, count, seed: valid.seed, textWidth: valid.textWidth, referenceCount }));
          rows[kind] += count;
        }
      }
    });
    // Fresh statistics, so the feed's first queries get the plans they will get in production.
    await client.query(`ANALYZE clients, ${Object.values(KIND_SCHEMAS).map((s) => s.table).join(', ')}`);
  });
  return { clients: valid.clients, rows, elapsedMs: clock() - started };
}
