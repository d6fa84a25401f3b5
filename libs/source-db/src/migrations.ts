import { DATA_KINDS } from '@storage-builder/data-model';
import { KIND_DESCRIPTORS, type KindDescriptor } from './kind-descriptors';

/**
 * The schema, as versioned migrations. A migration's text is what existing databases
 * ran, so it never changes once applied: tables are written out literally in their kind's
 * descriptor (not generated from `KIND_SCHEMAS`), and `migrations.test.ts` pins the text
 * of every applied version. `migrate.test.ts` checks that the tables match `KIND_SCHEMAS`.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const dataTables = (kinds: readonly KindDescriptor[]) => `
CREATE TABLE clients (
  id integer PRIMARY KEY CHECK (id > 0),
  name text NOT NULL
);

${kinds.map((kind) => kind.createTableSql).join('\n\n')}
`;

/*
 * Change tracking. Every row carries the xid8 of the transaction that last wrote it
 * (a row trigger, so no writer can set it by hand), and a delete leaves a tombstone with
 * the deleting xid8. Tombstones are written by statement triggers over transition
 * tables, so a bulk delete costs one INSERT ... SELECT rather than one per row.
 *
 * An UPDATE that changes a row's key is a delete of the old key: it leaves a tombstone.
 * An INSERT (or a key change) onto a tombstoned key removes the tombstone in the same
 * transaction; the feed also ignores a tombstone whose key exists in its snapshot.
 * TRUNCATE is refused: it fires no row-level triggers, so its deletes would be lost.
 */
const changeTracking = (kinds: readonly KindDescriptor[]) => `
CREATE TABLE tombstones (
  client_id integer NOT NULL,
  kind text NOT NULL,
  id bigint NOT NULL,
  deleted_xid xid8 NOT NULL,
  PRIMARY KEY (client_id, kind, id)
);
CREATE INDEX tombstones_changes ON tombstones (client_id, kind, deleted_xid);

CREATE FUNCTION source_db_stamp_xid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.changed_xid := pg_current_xact_id();
  RETURN NEW;
END $$;

CREATE FUNCTION source_db_tombstone_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO tombstones (client_id, kind, id, deleted_xid)
  SELECT o.client_id, TG_ARGV[0], o.id, pg_current_xact_id() FROM old_rows o
  ON CONFLICT (client_id, kind, id) DO UPDATE SET deleted_xid = EXCLUDED.deleted_xid;
  RETURN NULL;
END $$;

CREATE FUNCTION source_db_clear_tombstones() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM tombstones t USING new_rows n
  WHERE t.client_id = n.client_id AND t.kind = TG_ARGV[0] AND t.id = n.id;
  RETURN NULL;
END $$;

CREATE FUNCTION source_db_tombstone_rekeyed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO tombstones (client_id, kind, id, deleted_xid)
  SELECT o.client_id, TG_ARGV[0], o.id, pg_current_xact_id() FROM old_rows o
  WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.client_id = o.client_id AND n.id = o.id)
  ON CONFLICT (client_id, kind, id) DO UPDATE SET deleted_xid = EXCLUDED.deleted_xid;
  DELETE FROM tombstones t USING new_rows n
  WHERE t.client_id = n.client_id AND t.kind = TG_ARGV[0] AND t.id = n.id
    AND NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.client_id = n.client_id AND o.id = n.id);
  RETURN NULL;
END $$;

CREATE FUNCTION source_db_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'TRUNCATE of % would lose its deletes: the change feed needs a tombstone per row', TG_TABLE_NAME
    USING HINT = 'Use DELETE, or drop and re-create the database and run migrate().';
END $$;
${kinds.map(trackChanges).join('\n')}
`;

/** The change-tracking column, index and triggers of one kind's table. */
function trackChanges({ schema: { table, kind } }: KindDescriptor): string {
  return `
ALTER TABLE ${table} ADD COLUMN changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX ${table}_changes ON ${table} (client_id, changed_xid);
CREATE TRIGGER ${table}_stamp BEFORE INSERT OR UPDATE ON ${table}
  FOR EACH ROW EXECUTE FUNCTION source_db_stamp_xid();
CREATE TRIGGER ${table}_deleted AFTER DELETE ON ${table} REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION source_db_tombstone_deleted('${kind}');
CREATE TRIGGER ${table}_inserted AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION source_db_clear_tombstones('${kind}');
CREATE TRIGGER ${table}_rekeyed AFTER UPDATE ON ${table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION source_db_tombstone_rekeyed('${kind}');
CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
  FOR EACH STATEMENT EXECUTE FUNCTION source_db_refuse_truncate();`;
}

/*
 * Per-target write leases. One row per target of a snapshot location (`target_key` is
 * `s3://bucket/prefix/client-1/raw-data`), kept after release so that `token` only
 * grows: it is the fencing token a writer's manifest commit is checked against, under this
 * row's lock. Expiry lets another writer take over from a writer that died or stalled.
 */
const targetLeases = `
CREATE TABLE target_leases (
  target_key text PRIMARY KEY,
  token bigint NOT NULL CHECK (token > 0),
  holder text NOT NULL,
  acquired_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
`;

/*
 * The watermark of the manifest each target's writer last committed, written in the same
 * transaction as the lease check that fences the commit (a manifest that failed to land
 * rolls it back). A run compares it with the source's change tracking in one query to skip
 * the targets that did not change, without reading their manifests.
 */
const committedWatermarks = `
ALTER TABLE target_leases ADD COLUMN committed_watermark xid8;
`;

/**
 * The migrations for `descriptors`: the four written for the first five kinds, then one
 * for each later version a kind names as its `createdInVersion`, which creates the kind's
 * table with its change tracking (version 2 ran before that kind existed).
 */
export function migrationsFor(descriptors: readonly KindDescriptor[]): Migration[] {
  const createdIn = (version: number) => descriptors.filter((d) => d.createdInVersion === version);
  const migrations: Migration[] = [
    { version: 1, name: 'clients and the five data kinds', sql: dataTables(createdIn(1)) },
    { version: 2, name: 'xid8 change tracking and tombstones', sql: changeTracking(createdIn(1)) },
    { version: 3, name: 'per-target write leases', sql: targetLeases },
    { version: 4, name: 'committed watermarks of the leased targets', sql: committedWatermarks },
  ];
  const laterVersions = [...new Set(descriptors.map((d) => d.createdInVersion))].filter((v) => v !== 1).sort((a, b) => a - b);
  for (const version of laterVersions) {
    const kinds = createdIn(version);
    const names = kinds.map((d) => d.schema.kind).join(', ');
    const next = migrations.length + 1;
    if (version !== next) {
      throw new Error(`${names} has createdInVersion ${version}, but the next free schema version is ${next}: set it to ${next}`);
    }
    migrations.push({ version, name: `table and change tracking for ${names}`, sql: kinds.map((d) => `\n${d.createTableSql}\n${trackChanges(d)}\n`).join('') });
  }
  return migrations;
}

export const MIGRATIONS: readonly Migration[] = migrationsFor(DATA_KINDS.map((kind) => KIND_DESCRIPTORS[kind]));

/** The version a database must be at for the feed, the seeder and the churn generator. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;
