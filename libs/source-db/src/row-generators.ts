import { KIND_SCHEMAS, type DataKind } from '@storage-builder/data-model';

/**
 * SQL that generates rows of a kind for one client, deterministically: every value is a
 * hash of (seed, client, kind, id, column), never `random()`. Shared by the seeder
 * (bulk `INSERT ... SELECT` over `generate_series`) and the churn generator.
 */
export interface GenerateRows {
  readonly kind: DataKind;
  readonly clientId: number;
  /** First id, as a number or an SQL expression (e.g. a subquery for "after the largest id"). */
  readonly fromId: number | string;
  /** How many rows, as a number or an SQL expression. */
  readonly count: number | string;
  readonly seed: number;
  readonly textWidth: number;
  /**
   * How many entities, data items and formulas the client has, as SQL expressions (a
   * literal or a subquery), so references stay inside existing ids.
   */
  readonly references: { readonly entities: string; readonly dataItems: string; readonly formulas: string };
}

const KIND_SALT: Readonly<Record<DataKind, number>> = {
  'raw-data': 1,
  entities: 2,
  'data-items': 3,
  formulas: 4,
  'formula-associations': 5,
};

/** `INSERT INTO <table> (client_id, <columns>) SELECT ...` for `spec`. Inputs are validated numbers. */
export function insertGeneratedRowsSql(spec: GenerateRows): string {
  const { table, columns } = KIND_SCHEMAS[spec.kind];
  const names = ['client_id', ...columns.map((c) => c.name)];
  return `INSERT INTO ${table} (${names.join(', ')}) ${generatedRowsSelect(spec)}`;
}

function generatedRowsSelect(spec: GenerateRows): string {
  const { clientId, fromId, count, textWidth } = spec;
  // Distinct per seed, client, kind and column; hashint8extended is stable across versions and platforms.
  const salt = (column: number) => `${BigInt(spec.seed) * 1_000_000_000n + BigInt(clientId) * 100n + BigInt(KIND_SALT[spec.kind] * 10 + column)}`;
  const hashes = [1, 2, 3, 4, 5, 6].map((column) => `hashint8extended(g, ${salt(column)}) AS h${column}`).join(', ');
  const pick = (hash: string, modulus: string) => `(1 + abs(${hash} % greatest(${modulus}, 1)))`;
  const text = (width: number, prefix: string) =>
    width === 0 ? `''` : `rpad(${prefix} || to_hex(h5) || ' ', ${width}, 'lorem ipsum dolor sit amet ')`;
  const { entities, dataItems, formulas } = spec.references;
  const select = (() => {
    switch (spec.kind) {
      case 'raw-data':
        return `${pick('h1', entities)}, ${pick('h2', dataItems)},
          (date '2015-01-01' + make_interval(months => abs(h3 % 120)::int))::date,
          CASE WHEN abs(h4 % 10) = 0 THEN NULL ELSE round((h4 % 10000000000000)::numeric / 1000, 3) END,
          CASE WHEN abs(h5 % 4) = 0 THEN NULL ELSE ${text(textWidth, `'v'`)} END,
          (h6 & 7) = 0`;
      case 'entities':
        return `'E-' || g, ${text(Math.min(textWidth, 60), `'Entity '`)},
          CASE WHEN g = 1 OR abs(h1 % 5) = 0 THEN NULL ELSE 1 + abs(h2 % greatest(g - 1, 1)) END,
          (h3 & 15) <> 0`;
      case 'data-items':
        return `'DI-' || g, ${text(Math.min(textWidth, 60), `'Data item '`)},
          (ARRAY['EUR', 'USD', '%', NULL])[1 + abs(h1 % 4)],
          (ARRAY['numeric', 'text', 'boolean'])[1 + abs(h2 % 3)]`;
      case 'formulas':
        return `'F-' || g,
          '[DI-' || ${pick('h1', dataItems)} || '] * ' || abs(h2 % 100) || ' + [DI-' || ${pick('h3', dataItems)} || ']',
          CASE WHEN abs(h4 % 3) = 0 THEN NULL ELSE ${text(Math.min(textWidth, 120), `'Formula '`)} END,
          1 + abs(h6 % 9)::int`;
      case 'formula-associations':
        return `${pick('h1', formulas)}, ${pick('h2', entities)}, ${pick('h3', dataItems)}, abs(h4 % 10)::int`;
    }
  })();
  return `SELECT ${clientId}, g, ${select}
    FROM (SELECT g, ${hashes} FROM generate_series((${fromId})::bigint, (${fromId})::bigint + (${count})::bigint - 1) AS g) AS hashed`;
}

/** An UPDATE's SET clause per kind: a visible change, repeatable any number of times. */
export const CHURN_UPDATES: Readonly<Record<DataKind, string>> = {
  'raw-data': 'numeric_value = coalesce(numeric_value, 0) + 1, is_carryover = NOT is_carryover',
  entities: 'is_active = NOT is_active',
  'data-items': `unit = CASE WHEN unit IS NULL THEN 'EUR' ELSE NULL END`,
  formulas: 'revision = revision + 1',
  'formula-associations': 'priority = priority + 1',
};
