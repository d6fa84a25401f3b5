// Text that is hard to carry through COPY, CSV and the snapshot format, and where the check
// writes it: into every text column of the seeded source, and again from the writers.
import type pg from 'pg';
import { KIND_SCHEMAS, perKind, type DataKind, type Target } from '@storage-builder/data-model';
import { inTransaction, withConnection } from '@storage-builder/source-db';

/**
 * Text the COPY text format and CSV both escape: tabs, newlines, carriage returns,
 * backslashes, text that looks like `\N` or `NULL`, the empty string (not NULL), quotes,
 * commas, `\.`, control characters and characters outside ASCII (é, 漢字, emoji).
 */
export const SPECIAL_TEXT: readonly string[] = [
  'tab\there',
  'line\nbreak',
  'crlf\r\nend',
  'back\\slash',
  '\\N',
  '\\\\N',
  'N',
  'NULL',
  '',
  ' ',
  '\\.',
  '"quoted", comma',
  "it's",
  'é漢字 🎉👩‍👩‍👧',
  '\\',
  'trailing\\',
  '\t\n\\N\t',
  'ctl\u0001\u007f',
  ',',
  '"',
];
// Room left below numeric(20,6)'s 14 integer digits: the churn adds 1 to numeric_value.
// Room left below numeric(20,6)'s 14 integer digits: the churn adds 1 to numeric_value.
export const SPECIAL_NUMERIC: readonly (string | null)[] = ['-0.000001', '0', '9999999999999.999999', '-12345.5', null];

export interface TextColumn {
  readonly name: string;
  readonly nullable: boolean;
  readonly maxChars: number | undefined;
}

/** The text and varchar columns of a kind, from KIND_SCHEMAS. */
function textColumns(kind: DataKind): TextColumn[] {
  return KIND_SCHEMAS[kind].columns.flatMap((c) => {
    const varchar = /^varchar\((\d+)\)$/.exec(c.pgType);
    return c.pgType === 'text' || varchar ? [{ name: c.name, nullable: c.nullable, maxChars: varchar ? Number(varchar[1]) : undefined }] : [];
  });
}
export const TEXT_COLUMNS: Readonly<Record<DataKind, readonly TextColumn[]>> = perKind(textColumns);

/** `value` cut to what `column` holds (varchar(n) counts characters, not UTF-16 units). */
export function fitted(value: string, column: TextColumn): string {
  return column.maxChars === undefined ? value : Array.from(value).slice(0, column.maxChars).join('');
}

/** Every special text in every text column of every target, then NULL in the nullable ones: one transaction, before any writer runs. */
export async function writeSpecialText(pool: pg.Pool, targets: readonly Target[], seededIds: (target: Target) => number): Promise<void> {
  await withConnection(pool, (client) =>
    inTransaction(client, 'BEGIN', async () => {
      for (const target of targets) {
        const { table } = KIND_SCHEMAS[target.kind];
        const columns = TEXT_COLUMNS[target.kind];
        const count = seededIds(target);
        if (columns.length === 0 || count === 0) continue;
        for (const [i, value] of SPECIAL_TEXT.entries()) {
          const column = columns[i % columns.length]!;
          const id = 1 + (Math.floor(i / columns.length) % count);
          await client.query(`UPDATE ${table} SET ${column.name} = $3 WHERE client_id = $1 AND id = $2`, [target.clientId, id, fitted(value, column)]);
        }
        for (const column of columns.filter((c) => c.nullable)) {
          await client.query(`UPDATE ${table} SET ${column.name} = NULL WHERE client_id = $1 AND id = $2`, [target.clientId, count]);
        }
      }
    }),
  );
}
