import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

describe.skipIf(!psqlAvailable())('CopyOutRows and its reader', () => {
  it('leaves the connection usable when the reader stops mid-COPY', async () => {
    const client = await db.pool.connect();
    try {
      let seen = 0;
      for await (const chunk of client.query(new CopyOutRows('COPY (SELECT g, repeat($$x$$, 100) FROM generate_series(1, 200000) g) TO STDOUT'))) {
        seen += (chunk as Buffer).length;
        if (seen > 100_000) break;
      }
      const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
      expect(rows[0]?.one).toBe(1);
    } finally {
      client.release();
    }
  });
});

describe('CopyOutRows on a socket cut anywhere', () => {
  /** A stand-in for pg's connection: its socket, and what pg's own handler received. */
  function fakeConnection() {
    const socket = new PassThrough();
    const toPg: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => toPg.push(chunk));
    return { connection: { stream: socket, query: () => undefined }, socket, toPg };
  }
  /** A protocol message: its type, its length (counting itself), its body. */
  const message = (type: string, body: Buffer) => {
    const header = Buffer.alloc(5);
    header.write(type, 0, 'latin1');
    header.writeUInt32BE(body.length + 4, 1);
    return Buffer.concat([header, body]);
  };

  it('never ends as complete when an ErrorResponse header is cut across reads', async () => {
    const { connection, socket, toPg } = fakeConnection();
    const copy = new CopyOutRows('COPY (SELECT 1) TO STDOUT');
    copy.submit(connection as never);
    const ended = vi.fn();
    copy.on('end', ended);
    const error = Buffer.concat([message('E', Buffer.from('SERROR\0Mdivision by zero\0\0')), Buffer.from('Z\0\0\0\x05I')]);
    const stream = Buffer.concat([message('H', Buffer.alloc(3)), message('d', Buffer.from('1\n')), message('d', Buffer.from('2\n')), error]);
    const errorAt = stream.length - error.length;
    // Cut inside the error's header and inside its body.
    for (const piece of [stream.subarray(0, errorAt + 2), stream.subarray(errorAt + 2, errorAt + 7), stream.subarray(errorAt + 7)]) socket.write(piece);
    const rows: Buffer[] = [];
    copy.on('data', (chunk: Buffer) => rows.push(chunk));
    await new Promise((resolve) => setImmediate(resolve));
    expect(Buffer.concat(rows).toString()).toBe('1\n2\n');
    expect(ended).not.toHaveBeenCalled();
    // pg got the error whole, header first, to report through handleError.
    expect(Buffer.concat(toPg).subarray(0, error.length).equals(error)).toBe(true);
    copy.handleError(new Error('division by zero'));
    await expect(new Promise((_, reject) => copy.once('error', reject))).rejects.toThrow('division by zero');
  });
});
