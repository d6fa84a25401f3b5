import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowValues } from '@storage-builder/data-model';
import { provisionPostgres } from '@storage-builder/services';
import { openChangeFeed } from './change-feed';
import { feedRowsCopy } from './feed-queries';
import { migrate } from './migrate';
import { createSourcePool } from './source-pool';
import { drain } from './testing/materialize';
import { psqlAvailable, psqlCopy } from './testing/psql';
import { migratedDatabase, type MigratedDatabase } from './testing/migrated-database';

const CLIENT = 1;
/** Two-, three- and four-byte UTF-8, and a value long enough to cross network chunks. */
const NAMES = ['café crème', '漢字テキスト', 'rocket 🚀 ok', 'ü'.repeat(20_000) + '漢'.repeat(20_000) + '🚀'.repeat(20_000)];

let db: MigratedDatabase;

beforeAll(async () => {
  db = await migratedDatabase('client-encoding');
  await db.pool.query(`INSERT INTO clients (id, name) VALUES ($1, 'encodings')`, [CLIENT]);
  for (const [i, name] of NAMES.entries()) {
    await db.pool.query(`INSERT INTO entities (client_id, id, code, name, parent_id, is_active) VALUES ($1, $2, $3, $4, NULL, true)`, [CLIENT, i + 1, `é-${i}`, name]);
  }
});

afterAll(async () => {
  await db?.[Symbol.asyncDispose]();
});

async function feedRows(source: pg.Pool | pg.ClientBase, clientId = CLIENT): Promise<RowValues[]> {
  const feed = await openChangeFeed({ source, clientId, kind: 'entities', since: null, batchSize: 2 });
  return (await drain(feed)).flatMap((batch) => batch.rows);
}

describe('source text through the change feed', () => {
  it('reads é, 漢字 and emoji as the UTF-8 bytes the server holds', async () => {
    const rows = await feedRows(db.pool);
    expect(rows.map((row) => row[2])).toEqual(NAMES);
    expect(rows.map((row) => row[1])).toEqual(NAMES.map((_, i) => `é-${i}`));
    // The server's own UTF-8 bytes, as bytea: independent of how any client decodes text.
    const { rows: bytes } = await db.pool.query<{ name: Buffer }>(`SELECT convert_to(name, 'UTF8') AS name FROM entities WHERE client_id = $1 ORDER BY id`, [CLIENT]);
    expect(rows.map((row) => Buffer.from(row[2] as string, 'utf8'))).toEqual(bytes.map((row) => row.name));
  });

  it.skipIf(!psqlAvailable())('reads the same values that psql prints for the same COPY', async () => {
    // COPY text format; these values hold no tab, newline or backslash, so only \N needs undoing.
    const printed = psqlCopy(db.url, feedRowsCopy(CLIENT, 'entities', null))
      .toString('utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.split('\t').map((value) => (value === '\\N' ? null : value)));
    expect(await feedRows(db.pool)).toEqual(printed);
  });

  it("refuses a caller's connection set to another client_encoding, naming the fix, and leaves it usable", async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`SET client_encoding = 'LATIN1'`);
      await expect(feedRows(client)).rejects.toThrow(/client_encoding LATIN1.*UTF-8.*createSourcePool.*SET client_encoding = 'UTF8'/);
      await client.query(`SET client_encoding = 'UTF8'`);
      expect((await feedRows(client)).map((row) => row[2])).toEqual(NAMES);
    } finally {
      await client.end();
    }
  });
});

describe('createSourcePool', () => {
  it('uses UTF8 even when the connection string, PGCLIENTENCODING and the database default ask for LATIN1', async () => {
    // UTF8 wins: the worker decodes every text value as UTF-8.
    const name = decodeURIComponent(new URL(db.url).pathname.slice(1));
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const before = process.env['PGCLIENTENCODING'];
    try {
      await admin.query(`ALTER DATABASE "${name}" SET client_encoding = 'LATIN1'`);
      process.env['PGCLIENTENCODING'] = 'LATIN1';
      const url = new URL(db.url);
      url.searchParams.set('client_encoding', 'LATIN1');
      url.searchParams.set('options', '-c client_encoding=LATIN1');
      const pool = createSourcePool({ connectionString: url.toString(), max: 1 });
      pool.on('error', () => undefined);
      try {
        expect((await pool.query<{ client_encoding: string }>('SHOW client_encoding')).rows[0]?.client_encoding).toBe('UTF8');
        expect((await feedRows(pool)).map((row) => row[2])).toEqual(NAMES);
      } finally {
        await pool.end();
      }
    } finally {
      if (before === undefined) delete process.env['PGCLIENTENCODING'];
      else process.env['PGCLIENTENCODING'] = before;
      await admin.query(`ALTER DATABASE "${name}" RESET client_encoding`);
      await admin.end();
    }
  });

  it('reads a LATIN1 database (with a LATIN1 default client_encoding) as UTF-8', async () => {
    await using server = await provisionPostgres({ label: 'client-encoding-latin1', isolate: false });
    const name = `sb_latin1_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name}" ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
      await admin.query(`ALTER DATABASE "${name}" SET client_encoding = 'LATIN1'`);
      const url = new URL(server.url);
      url.pathname = `/${name}`;
      const pool = createSourcePool({ connectionString: url.toString(), max: 2 });
      // pool.end() resolves before the sessions have closed; the forced DROP below may end
      // one first, which the pool reports as an 'error' event.
      pool.on('error', () => undefined);
      try {
        await migrate(pool);
        const latin1 = ['café crème', 'Grüße, £5 · ½ · Å'];
        await pool.query(`INSERT INTO clients (id, name) VALUES ($1, 'latin1')`, [CLIENT]);
        for (const [i, text] of latin1.entries()) {
          await pool.query(`INSERT INTO entities (client_id, id, code, name, parent_id, is_active) VALUES ($1, $2, 'ü', $3, NULL, true)`, [CLIENT, i + 1, text]);
        }
        const { rows } = await pool.query<{ server: string; client: string }>(`SELECT current_setting('server_encoding') AS server, current_setting('client_encoding') AS client`);
        expect(rows[0]).toEqual({ server: 'LATIN1', client: 'UTF8' });
        const read = await feedRows(pool);
        expect(read.map((row) => row[2])).toEqual(latin1);
        expect(read.map((row) => row[1])).toEqual(['ü', 'ü']);
      } finally {
        await pool.end();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
