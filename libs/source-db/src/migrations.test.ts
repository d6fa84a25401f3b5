import { createHash } from 'node:crypto';
import { DATA_KINDS, type DataKind } from '@storage-builder/data-model';
import { describe, expect, it } from 'vitest';
import { KIND_DESCRIPTORS, type KindDescriptor } from './kind-descriptors';
import { MIGRATIONS, migrationsFor } from './migrations';

// What existing databases ran. An applied migration is never edited, not even its
// whitespace: a change to the schema is a new migration.
const APPLIED = [
  { version: 1, name: 'clients and the five data kinds', sha256: 'cd8eb159653c2c2d2f96dda3618ed3a0b383a0266aa65b2e249b112bd0c1ee5d' },
  { version: 2, name: 'xid8 change tracking and tombstones', sha256: '45ec7e853cdaca66067ea6fd8cca0d6627866882d21aea219733196963bd6ef9' },
  { version: 3, name: 'per-target write leases', sha256: 'edea4a2604c61b0c56a4c6f6760ac138151f9060e5a6d9ec79325ccab2f5752e' },
  { version: 4, name: 'committed watermarks of the leased targets', sha256: '9624927122be36c3f015c175ddcb91387132113fd9861b3cf696887149356fc3' },
];

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const current = DATA_KINDS.map((kind) => KIND_DESCRIPTORS[kind]);

/** A kind DATA_KINDS does not have (yet), created by schema version `version`. */
function laterKind(version: number): KindDescriptor {
  const kind = 'budgets' as DataKind;
  const schema = { kind, table: 'budgets', columns: KIND_DESCRIPTORS.formulas.schema.columns };
  return { ...KIND_DESCRIPTORS.formulas, schema, createdInVersion: version, createTableSql: 'CREATE TABLE budgets (client_id integer NOT NULL, id bigint NOT NULL);' };
}

describe('MIGRATIONS', () => {
  it('keep every applied migration byte for byte', () => {
    expect(MIGRATIONS.slice(0, APPLIED.length).map((m) => ({ version: m.version, name: m.name, sha256: sha256(m.sql) }))).toEqual(APPLIED);
  });

  it('give a kind added later a migration of its own, with its table and change tracking, leaving the applied ones as they were', () => {
    const migrations = migrationsFor([...current, laterKind(5)]);
    expect(migrations.slice(0, 4)).toEqual(MIGRATIONS.slice(0, 4));
    expect(migrations.map((m) => m.version)).toEqual([1, 2, 3, 4, 5]);
    const added = migrations[4]!;
    expect(added.name).toBe('table and change tracking for budgets');
    expect(added.sql).toContain('CREATE TABLE budgets (');
    expect(added.sql).toContain(`CREATE TRIGGER budgets_deleted AFTER DELETE ON budgets REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION source_db_tombstone_deleted('budgets');`);
    expect(added.sql).not.toMatch(/raw_data|formulas/);
  });

  it('refuse a kind whose version is taken or leaves a gap, naming the version to use', () => {
    expect(() => migrationsFor([...current, laterKind(4)])).toThrow('budgets has createdInVersion 4, but the next free schema version is 5: set it to 5');
    expect(() => migrationsFor([...current, laterKind(7)])).toThrow('budgets has createdInVersion 7, but the next free schema version is 5: set it to 5');
  });
});
