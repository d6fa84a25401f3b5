import { KIND_SCHEMAS, type DataKind, type KindSchema } from '@storage-builder/data-model';

/**
 * The SQL pieces a kind's generator builds its values from. In scope of the generated
 * SELECT are `g` (the row's id) and `h1` .. `h6` (hashes of seed, client, kind, id and
 * column), so every value is deterministic.
 */
export interface GeneratorSql {
  /** Width of long text, from the profile or the churn options. */
  readonly textWidth: number;
  /** An id from 1 to the client's row count of `kind`, picked by `hash`: references stay inside existing ids. */
  pick(hash: string, kind: DataKind): string;
  /** Text of exactly `width` characters starting with `prefix` (an SQL string literal); `''` for width 0. */
  text(width: number, prefix: string): string;
}

/**
 * Everything source-db needs to know about one data kind. Migrations, the seeder, the
 * churn generator, the row generators and the profile read it from here, so a new kind is
 * its name in `DATA_KINDS`, its schema in `KIND_SCHEMAS` and its descriptor below.
 */
export interface KindDescriptor {
  /** Name, table and snapshot columns; they live in data-model because snapshots read them too. */
  readonly schema: KindSchema;
  /**
   * The schema version whose migration creates the table. The first five kinds came with
   * version 1 (and got change tracking in version 2); a kind added later takes the next
   * free version, and `migrations.ts` makes a migration of its table and its tracking.
   */
  readonly createdInVersion: number;
  /**
   * The CREATE TABLE that migration runs, written out rather than generated from
   * `schema`: once applied, a migration's text must never change, even when the schema
   * does (a changed schema needs a migration of its own). `migrate.test.ts` checks that
   * the tables match the schemas.
   */
  readonly createTableSql: string;
  /**
   * Sets this kind's generated values apart from other kinds' with the same seed, client
   * and id. One decimal digit (1–9) of the hash key, unique per kind; changing it changes
   * every generated row of the kind, and so the benchmarks' data and baselines.
   */
  readonly salt: number;
  /** The generated values after `client_id, id`, in `schema.columns` order. */
  generatedValues(sql: GeneratorSql): string;
  /** The churn generator's `UPDATE ... SET`: a change a reader can see, repeatable any number of times. */
  readonly churnUpdate: string;
}

// The SQL below is what seeded databases and migrated schemas were built from: changing
// a byte changes generated rows or an applied migration (see the comments above).
export const KIND_DESCRIPTORS: Readonly<Record<DataKind, KindDescriptor>> = {
  'raw-data': {
    schema: KIND_SCHEMAS['raw-data'],
    createdInVersion: 1,
    createTableSql: `CREATE TABLE raw_data (
  client_id integer NOT NULL,
  id bigint NOT NULL,
  entity_id bigint NOT NULL,
  data_item_id bigint NOT NULL,
  period date NOT NULL,
  numeric_value numeric(20,6),
  text_value text,
  is_carryover boolean NOT NULL,
  PRIMARY KEY (client_id, id)
);`,
    salt: 1,
    generatedValues: ({ pick, text, textWidth }) => `${pick('h1', 'entities')}, ${pick('h2', 'data-items')},
          (date '2015-01-01' + make_interval(months => abs(h3 % 120)::int))::date,
          CASE WHEN abs(h4 % 10) = 0 THEN NULL ELSE round((h4 % 10000000000000)::numeric / 1000, 3) END,
          CASE WHEN abs(h5 % 4) = 0 THEN NULL ELSE ${text(textWidth, `'v'`)} END,
          (h6 & 7) = 0`,
    churnUpdate: 'numeric_value = coalesce(numeric_value, 0) + 1, is_carryover = NOT is_carryover',
  },
  entities: {
    schema: KIND_SCHEMAS.entities,
    createdInVersion: 1,
    createTableSql: `CREATE TABLE entities (
  client_id integer NOT NULL,
  id bigint NOT NULL,
  code varchar(64) NOT NULL,
  name text NOT NULL,
  parent_id bigint,
  is_active boolean NOT NULL,
  PRIMARY KEY (client_id, id)
);`,
    salt: 2,
    // A parent is an earlier entity, so the hierarchy has no cycles.
    generatedValues: ({ text, textWidth }) => `'E-' || g, ${text(Math.min(textWidth, 60), `'Entity '`)},
          CASE WHEN g = 1 OR abs(h1 % 5) = 0 THEN NULL ELSE 1 + abs(h2 % greatest(g - 1, 1)) END,
          (h3 & 15) <> 0`,
    churnUpdate: 'is_active = NOT is_active',
  },
  'data-items': {
    schema: KIND_SCHEMAS['data-items'],
    createdInVersion: 1,
    createTableSql: `CREATE TABLE data_items (
  client_id integer NOT NULL,
  id bigint NOT NULL,
  code varchar(64) NOT NULL,
  name text NOT NULL,
  unit varchar(32),
  value_type varchar(16) NOT NULL,
  PRIMARY KEY (client_id, id)
);`,
    salt: 3,
    generatedValues: ({ text, textWidth }) => `'DI-' || g, ${text(Math.min(textWidth, 60), `'Data item '`)},
          (ARRAY['EUR', 'USD', '%', NULL])[1 + abs(h1 % 4)],
          (ARRAY['numeric', 'text', 'boolean'])[1 + abs(h2 % 3)]`,
    churnUpdate: `unit = CASE WHEN unit IS NULL THEN 'EUR' ELSE NULL END`,
  },
  formulas: {
    schema: KIND_SCHEMAS.formulas,
    createdInVersion: 1,
    createTableSql: `CREATE TABLE formulas (
  client_id integer NOT NULL,
  id bigint NOT NULL,
  code varchar(64) NOT NULL,
  expression text NOT NULL,
  description text,
  revision integer NOT NULL,
  PRIMARY KEY (client_id, id)
);`,
    salt: 4,
    generatedValues: ({ pick, text, textWidth }) => `'F-' || g,
          '[DI-' || ${pick('h1', 'data-items')} || '] * ' || abs(h2 % 100) || ' + [DI-' || ${pick('h3', 'data-items')} || ']',
          CASE WHEN abs(h4 % 3) = 0 THEN NULL ELSE ${text(Math.min(textWidth, 120), `'Formula '`)} END,
          1 + abs(h6 % 9)::int`,
    churnUpdate: 'revision = revision + 1',
  },
  'formula-associations': {
    schema: KIND_SCHEMAS['formula-associations'],
    createdInVersion: 1,
    createTableSql: `CREATE TABLE formula_associations (
  client_id integer NOT NULL,
  id bigint NOT NULL,
  formula_id bigint NOT NULL,
  entity_id bigint NOT NULL,
  data_item_id bigint NOT NULL,
  priority integer NOT NULL,
  PRIMARY KEY (client_id, id)
);`,
    salt: 5,
    generatedValues: ({ pick }) => `${pick('h1', 'formulas')}, ${pick('h2', 'entities')}, ${pick('h3', 'data-items')}, abs(h4 % 10)::int`,
    churnUpdate: 'priority = priority + 1',
  },
};
