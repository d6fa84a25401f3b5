import type pg from 'pg';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations';
import { inTransaction, withConnection, type SqlSource } from './sql-source';

export interface MigrationResult {
  /** Versions this call applied, in order; empty when the database was already current. */
  readonly applied: readonly number[];
  readonly version: number;
}

// Any constant works; it only has to be the same for every migrating process.
const MIGRATION_LOCK_KEY = 7_340_031;

/**
 * Brings the database to the latest schema. Safe to run again and from several processes
 * at once: an advisory lock serialises them, and each version is recorded in
 * `schema_migrations` in the transaction that applies it.
 */
export async function migrate(source: SqlSource): Promise<MigrationResult> {
  return withConnection(source, (client) =>
    inTransaction(client, 'BEGIN', async () => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const current = await readVersion(client);
      if (current > LATEST_SCHEMA_VERSION) throw newerSchemaError(current);
      const applied: number[] = [];
      for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        applied.push(migration.version);
      }
      return { applied, version: LATEST_SCHEMA_VERSION };
    }),
  );
}

/**
 * Fails unless the database is at exactly the latest schema, with an error that says to
 * run `migrate`. Works inside a read-only transaction.
 */
export async function assertSchemaCurrent(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ present: boolean; database: string }>(
    `SELECT to_regclass('schema_migrations') IS NOT NULL AS present, current_database() AS database`,
  );
  const { present, database } = rows[0]!;
  if (!present) {
    throw new Error(`database "${database}" has no source-db schema (no schema_migrations table): run migrate(pool) from @storage-builder/source-db first`);
  }
  const version = await readVersion(client);
  if (version > LATEST_SCHEMA_VERSION) throw newerSchemaError(version);
  if (version < LATEST_SCHEMA_VERSION) {
    throw new Error(`database "${database}" is at schema version ${version}, this code needs ${LATEST_SCHEMA_VERSION}: run migrate(pool) from @storage-builder/source-db`);
  }
}

async function readVersion(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  return rows[0]?.version ?? 0;
}

function newerSchemaError(version: number): Error {
  return new Error(
    `the database's schema is at version ${version}, newer than this code knows (${LATEST_SCHEMA_VERSION}): upgrade @storage-builder/source-db rather than run it against a newer schema`,
  );
}
