import type { DataKind } from '@storage-builder/data-model';
import { MAX_TEXT_WIDTH } from './data-profile';
import { KIND_DESCRIPTORS, type GeneratorSql } from './kind-descriptors';

/**
 * SQL that generates rows of a kind for one client, deterministically: every value is a
 * hash of (seed, client, kind, id, column), never `random()`. Shared by the seeder
 * (bulk `INSERT ... SELECT` over `generate_series`) and the churn generator; each kind's
 * values come from its descriptor.
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
   * How many rows of a referenced kind the client has, as an SQL expression (a literal
   * or a subquery), so references stay inside existing ids.
   */
  readonly referenceCount: (kind: DataKind) => string;
}

/**
 * A whole number for SQL text: the generators write numbers into statements, so a value that
 * is not one (a string from JSON, say) must fail here rather than become SQL.
 */
export function sqlInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${name} is ${JSON.stringify(value)}: use a whole number from ${min} to ${max}`);
  }
  return value;
}

/**
 * `INSERT INTO <table> (client_id, <columns>) SELECT ...` for `spec`. Numbers are checked;
 * `fromId` and `count` given as strings are SQL expressions of the caller's own.
 */
export function insertGeneratedRowsSql(spec: GenerateRows): string {
  sqlInteger(spec.clientId, 'clientId', 1, 2_147_483_647);
  sqlInteger(spec.seed, 'seed', 0, 2_147_483_647);
  sqlInteger(spec.textWidth, 'textWidth', 0, MAX_TEXT_WIDTH);
  if (typeof spec.fromId === 'number') sqlInteger(spec.fromId, 'fromId', 1, Number.MAX_SAFE_INTEGER);
  if (typeof spec.count === 'number') sqlInteger(spec.count, 'count', 0, Number.MAX_SAFE_INTEGER);
  const { table, columns } = KIND_DESCRIPTORS[spec.kind].schema;
  const names = ['client_id', ...columns.map((c) => c.name)];
  return `INSERT INTO ${table} (${names.join(', ')}) ${generatedRowsSelect(spec)}`;
}

function generatedRowsSelect(spec: GenerateRows): string {
  const { clientId, fromId, count, textWidth } = spec;
  const descriptor = KIND_DESCRIPTORS[spec.kind];
  // Distinct per seed, client, kind and column; hashint8extended is stable across versions and platforms.
  const salt = (column: number) => `${BigInt(spec.seed) * 1_000_000_000n + BigInt(clientId) * 100n + BigInt(descriptor.salt * 10 + column)}`;
  const hashes = [1, 2, 3, 4, 5, 6].map((column) => `hashint8extended(g, ${salt(column)}) AS h${column}`).join(', ');
  const sql: GeneratorSql = {
    textWidth,
    pick: (hash, kind) => `(1 + abs(${hash} % greatest(${spec.referenceCount(kind)}, 1)))`,
    text: (width, prefix) => (width === 0 ? `''` : `rpad(${prefix} || to_hex(h5) || ' ', ${width}, 'lorem ipsum dolor sit amet ')`),
  };
  return `SELECT ${clientId}, g, ${descriptor.generatedValues(sql)}
    FROM (SELECT g, ${hashes} FROM generate_series((${fromId})::bigint, (${fromId})::bigint + (${count})::bigint - 1) AS g) AS hashed`;
}
