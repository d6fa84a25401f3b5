import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyOutRows } from './copy-out-rows';
import { migratedDatabase, type MigratedDatabase } from './testing/migrated-database';
import { psqlAvailable, psqlCopy } from './testing/psql';

let db: MigratedDatabase;

beforeAll(async () => {
  db = await migratedDatabase('copy-out-rows', { migrated: false });
});

afterAll(async () => {
  await db?.[Symbol.asyncDispose]();
});

/** Every chunk the stream yields for `copy`, on a pooled connection, then `SELECT 1` on the same connection. */
async function copyOut(copy: string): Promise<{ chunks: Buffer[]; error: unknown; afterwards: unknown }> {
  const client = await db.pool.connect();
  const chunks: Buffer[] = [];
  let error: unknown;
  try {
    try {
      for await (const chunk of client.query(new CopyOutRows(copy))) chunks.push(chunk as Buffer);
    } catch (caught) {
      error = caught;
    }
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    return { chunks, error, afterwards: rows[0]?.one };
  } finally {
    client.release();
  }
}

describe.skipIf(!psqlAvailable())('CopyOutRows', () => {
  it('yields whole rows, byte for byte what psql prints, with escapes, NULLs and rows of every length', async () => {
    const copy = `COPY (SELECT g, repeat('é', g % 700), CASE WHEN g % 7 = 0 THEN NULL ELSE E'tab\\there\\nline\\\\' END FROM generate_series(1, 30000) g) TO STDOUT`;
    const { chunks, error, afterwards } = await copyOut(copy);
    expect(error).toBeUndefined();
    expect(Buffer.concat(chunks).equals(psqlCopy(db.url, copy))).toBe(true);
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) expect(chunk.at(-1)).toBe(0x0a);
    expect(afterwards).toBe(1);
  });

  it('gathers a row far longer than a network read', async () => {
    const copy = `COPY (SELECT g, CASE WHEN g = 2 THEN repeat('ab', 3000000) ELSE 'short' END FROM generate_series(1, 3) g) TO STDOUT`;
    const { chunks, error } = await copyOut(copy);
    expect(error).toBeUndefined();
    expect(Buffer.concat(chunks).equals(psqlCopy(db.url, copy))).toBe(true);
    for (const chunk of chunks) expect(chunk.at(-1)).toBe(0x0a);
  });

  it('skips notices the server sends between rows', async () => {
    await db.pool.query(`CREATE OR REPLACE FUNCTION noisy(n int) RETURNS int LANGUAGE plpgsql AS $$
      BEGIN IF n % 500 = 0 THEN RAISE NOTICE 'row %', n; END IF; RETURN n; END $$`);
    const copy = 'COPY (SELECT noisy(g), g * 2 FROM generate_series(1, 5000) g) TO STDOUT';
    const { chunks, error } = await copyOut(copy);
    expect(error).toBeUndefined();
    expect(Buffer.concat(chunks).equals(psqlCopy(db.url, copy))).toBe(true);
  });

  it('ends with the server error when the COPY fails mid-way, and the connection stays usable', async () => {
    const { chunks, error, afterwards } = await copyOut('COPY (SELECT 1 / (g - 20000) FROM generate_series(1, 30000) g) TO STDOUT');
    expect(String(error)).toMatch(/division by zero/);
    expect(Buffer.concat(chunks).toString().split('\n').filter(Boolean).length).toBeLessThan(20000);
    expect(afterwards).toBe(1);
  });
});
