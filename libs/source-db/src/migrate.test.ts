import { DATA_KINDS, KIND_SCHEMAS } from '@storage-builder/data-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChangeFeed } from './change-feed';
import { migrate } from './migrate';
import { LATEST_SCHEMA_VERSION } from './migrations';
import { seedDatabase } from './seeder';
import { migratedDatabase, type MigratedDatabase } from './testing/migrated-database';

let db: MigratedDatabase;

beforeAll(async () => {
  db = await migratedDatabase('migrate-test', { migrated: false });
});

afterAll(async () => {
  await db?.[Symbol.asyncDispose]();
});

describe('migrations', () => {
  it('refuse to read or seed a database without the schema, naming migrate', async () => {
    await expect(openChangeFeed({ source: db.pool, clientId: 1, kind: 'entities', since: null })).rejects.toThrow(
      /database "sb_migrate_test_\w+" has no source-db schema \(no schema_migrations table\): run migrate\(pool\)/,
    );
    const profile = { clients: 1, rows: { rawData: 1, entities: 1, dataItems: 1, formulas: 1, formulaAssociations: 1 }, rawDataSkew: 1, textWidth: 1, seed: 1 };
    await expect(seedDatabase(db.pool, profile)).rejects.toThrow(/run migrate\(pool\)/);
  });

  it('apply in order once, record each version, and do nothing the second time, even concurrently', async () => {
    const results = await Promise.all([migrate(db.pool), migrate(db.pool)]);
    expect(results.map((r) => r.applied).sort()).toEqual([[], [1, 2, 3, 4]]);
    expect(await migrate(db.pool)).toEqual({ applied: [], version: LATEST_SCHEMA_VERSION });
    const { rows } = await db.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4]);
  });

  it('name a database at an older version, and refuse one newer than the code', async () => {
    await db.pool.query('DELETE FROM schema_migrations WHERE version >= 2');
    await expect(openChangeFeed({ source: db.pool, clientId: 1, kind: 'entities', since: null })).rejects.toThrow(
      `is at schema version 1, this code needs ${LATEST_SCHEMA_VERSION}: run migrate(pool)`,
    );
    await db.pool.query(`INSERT INTO schema_migrations (version, name) VALUES (2, 'back'), (3, 'back'), (99, 'from the future')`);
    await expect(migrate(db.pool)).rejects.toThrow('schema is at version 99, newer than this code knows');
    await db.pool.query('DELETE FROM schema_migrations WHERE version = 99');
  });

  it('create every kind with the columns and types of KIND_SCHEMAS, keyed by (client_id, id), with a change index', async () => {
    for (const kind of DATA_KINDS) {
      const { table, columns } = KIND_SCHEMAS[kind];
      const { rows } = await db.pool.query<{ name: string; type: string; nullable: boolean }>(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, NOT attnotnull AS nullable
           FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [table],
      );
      const pgType = (type: string) => type.replace('character varying', 'varchar');
      expect(rows.map((r) => ({ name: r.name, pgType: pgType(r.type), nullable: r.nullable }))).toEqual([
        { name: 'client_id', pgType: 'integer', nullable: false },
        ...columns,
        { name: 'changed_xid', pgType: 'xid8', nullable: false },
      ]);
      const { rows: indexes } = await db.pool.query<{ definition: string }>('SELECT indexdef AS definition FROM pg_indexes WHERE tablename = $1 ORDER BY indexname', [table]);
      expect(indexes.map((i) => i.definition.replace(/^.* USING /, ''))).toEqual(['btree (client_id, changed_xid)', 'btree (client_id, id)']);
    }
  });

  it('stamp writes with the writing transaction, even over an explicit value, and refuse TRUNCATE', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO formulas (client_id, id, code, expression, revision, changed_xid) VALUES (1, 1, 'F', '1', 1, '3'::xid8)`);
      const { rows } = await client.query<{ stamped: boolean }>('SELECT changed_xid = pg_current_xact_id() AS stamped FROM formulas');
      expect(rows).toEqual([{ stamped: true }]);
      await client.query('DELETE FROM formulas');
      const { rows: tombstones } = await client.query('SELECT kind, id::text, deleted_xid = pg_current_xact_id() AS stamped FROM tombstones');
      expect(tombstones).toEqual([{ kind: 'formulas', id: '1', stamped: true }]);
      await expect(client.query('TRUNCATE formulas')).rejects.toThrow('TRUNCATE of formulas would lose its deletes');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
