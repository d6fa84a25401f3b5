import { compareWatermarks, parseWatermark, type Watermark } from '@storage-builder/data-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChangeFeed } from './change-feed';
import { drain, rowIds, tombstoneIds } from './testing/materialize';
import { migratedDatabase, type MigratedDatabase } from './testing/migrated-database';
import { WriteTransaction } from './write-transaction';

let db: MigratedDatabase;

beforeAll(async () => {
  db = await migratedDatabase('feed-test');
  await db.pool.query(`INSERT INTO clients (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four')`);
});

afterAll(async () => {
  await db?.[Symbol.asyncDispose]();
});

async function sync(clientId: number, since: Watermark | null, kind = 'raw-data') {
  const feed = await openChangeFeed({ source: db.pool, clientId, kind, since, batchSize: 2 });
  const batches = await drain(feed);
  return { watermark: feed.watermark, horizon: feed.horizon, rows: rowIds(batches), tombstones: tombstoneIds(batches), batches };
}

async function write(work: (tx: WriteTransaction) => Promise<unknown>): Promise<void> {
  await using tx = await WriteTransaction.begin(db.pool);
  await work(tx);
  await tx.commit();
}

describe('change feed', () => {
  it('delivers the row of a transaction that wrote first and committed last, on the sync after its commit', async () => {
    await write((tx) => tx.insertRows('raw-data', 1, 1, 3));
    const full = await sync(1, null);
    expect(full.rows).toEqual(['1', '2', '3']);

    await using a = await WriteTransaction.begin(db.pool);
    await a.insertRows('raw-data', 1, 100, 1);
    await using b = await WriteTransaction.begin(db.pool);
    await b.insertRows('raw-data', 1, 101, 1);
    expect(compareWatermarks(a.xid, b.xid)).toBe(-1);
    await b.commit();

    const between = await sync(1, full.watermark);
    expect(between.rows).toEqual(['101']);
    // The horizon stays at A: a "largest version seen" watermark would have moved past it.
    expect(compareWatermarks(between.watermark, a.xid)).toBe(0);
    expect(between.horizon.runningTransactions).toBeGreaterThanOrEqual(1);
    expect(between.horizon.oldest?.xidAge).toBeGreaterThanOrEqual(2);

    await a.commit();
    const after = await sync(1, between.watermark);
    expect(after.rows).toContain('100');
    expect(after.rows).toContain('101'); // re-read at the horizon: allowed, applied idempotently
  });

  it('delivers a delete between two syncs as a tombstone, and a re-inserted id as a row', async () => {
    await write((tx) => tx.insertRows('entities', 2, 1, 4));
    const first = await sync(2, null, 'entities');
    expect(first.rows).toEqual(['1', '2', '3', '4']);
    expect(first.tombstones).toEqual([]);

    await write((tx) => tx.deleteRows('entities', 2, [2, 4]));
    const second = await sync(2, first.watermark, 'entities');
    expect(second.rows).toEqual([]);
    expect(second.tombstones).toEqual(['2', '4']);

    await write((tx) => tx.insertRows('entities', 2, 4, 1));
    const third = await sync(2, second.watermark, 'entities');
    expect(third.rows).toEqual(['4']);
    expect(third.tombstones).toEqual([]);
    // A tombstone is for the kind it was deleted from only.
    expect((await sync(2, first.watermark, 'data-items')).tombstones).toEqual([]);
  });

  it('turns an update of the key into a tombstone for the old key and a row for the new', async () => {
    await write((tx) => tx.insertRows('formulas', 3, 1, 2));
    const first = await sync(3, null, 'formulas');
    await write((tx) => tx.query('UPDATE formulas SET id = 10 WHERE client_id = 3 AND id = 1'));
    const second = await sync(3, first.watermark, 'formulas');
    expect(second.rows).toEqual(['10']);
    expect(second.tombstones).toEqual(['1']);
  });

  it("returns values in each type's text output form (boolean as t/f, as COPY prints it)", async () => {
    const tricky = ['tab\there', 'line\nbreak\r', 'back\\slash \\N', '\\N', 'ünïcødé ✓ 𝄞', '', ' lead and trail '];
    await write(async (tx) => {
      for (const [index, text] of tricky.entries()) {
        await tx.query(
          `INSERT INTO raw_data (client_id, id, entity_id, data_item_id, period, numeric_value, text_value, is_carryover)
           VALUES (4, $1, 9007199254740993, 2, '2024-02-29', $2, $3, $4)`,
          [index + 1, index % 2 ? null : '-12345678901234.5', text, index % 2 === 0],
        );
      }
      await tx.query(`INSERT INTO raw_data (client_id, id, entity_id, data_item_id, period, is_carryover) VALUES (4, 99, 1, 1, '1999-12-31', false)`);
    });
    const { batches } = await sync(4, null);
    const fed = batches.flatMap((batch) => batch.rows);
    const { rows: expected } = await db.pool.query<string[]>({
      text: `SELECT id::text, entity_id::text, data_item_id::text, period::text, numeric_value::text, text_value::text,
                      -- bool::text is 'true'/'false'; the type's output function (COPY, snapshots) prints t/f
                      CASE WHEN is_carryover THEN 't' ELSE 'f' END
               FROM raw_data WHERE client_id = 4 ORDER BY id`,
      rowMode: 'array',
    });
    expect(fed).toEqual(expected);
    expect(fed[0]).toEqual(['1', '9007199254740993', '2', '2024-02-29', '-12345678901234.500000', 'tab\there', 't']);
    expect(fed[3]?.[5]).toBe('\\N'); // the text "\N" is not NULL
    expect(fed.at(-1)?.[5]).toBeNull();
  });

  it('gives the connection back when the consumer stops early, and after close()', async () => {
    await write((tx) => tx.insertRows('data-items', 1, 1, 50));
    for (let i = 0; i < 8; i++) {
      const feed = await openChangeFeed({ source: db.pool, clientId: 1, kind: 'data-items', since: null, batchSize: 5 });
      for await (const batch of feed.batches()) {
        expect(batch.rows).toHaveLength(5);
        break;
      }
    }
    const unread = await openChangeFeed({ source: db.pool, clientId: 1, kind: 'data-items', since: null });
    await unread.close();
    await unread.close();
    expect(db.pool.totalCount).toBeLessThanOrEqual(6);
    expect((await sync(1, null, 'data-items')).rows).toHaveLength(50);
  });

  it("leaves a caller's own client usable after an early stop, and runs read-only", async () => {
    const client = await db.pool.connect();
    try {
      const feed = await openChangeFeed({ source: client, clientId: 1, kind: 'data-items', since: null, batchSize: 1 });
      await expect(client.query('INSERT INTO clients (id, name) VALUES (77, $1)', ['x'])).rejects.toThrow(/read-only transaction/);
      await feed.close();
      const again = await openChangeFeed({ source: client, clientId: 1, kind: 'data-items', since: null, batchSize: 1 });
      for await (const _ of again.batches()) break;
      const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      client.release();
    }
  });
});

describe('change feed input errors', () => {
  const open = (overrides: Record<string, unknown>) =>
    openChangeFeed({ source: db.pool, clientId: 1, kind: 'raw-data', since: null, ...overrides } as Parameters<typeof openChangeFeed>[0]);

  it('names an unknown client, kind, malformed watermark or batch size', async () => {
    await expect(open({ clientId: 999 })).rejects.toThrow(/clientId 999 is not in the clients table of database "sb_feed_test_/);
    await expect(open({ clientId: -1 })).rejects.toThrow('clientId is -1: a client id is a positive 32-bit integer');
    await expect(open({ kind: 'rows' })).rejects.toThrow('kind is "rows": use one of raw-data, entities');
    await expect(open({ since: '12abc' })).rejects.toThrow('since is "12abc": a watermark is a transaction id (xid8)');
    await expect(open({ batchSize: 0 })).rejects.toThrow('batchSize is 0: use an integer from 1 to');
  });

  it('refuses a watermark from the future, naming it and the database', async () => {
    const future = parseWatermark('9000000000000');
    await expect(open({ since: future })).rejects.toThrow(/since is 9000000000000, a watermark from the future: database "sb_feed_test_\w+" has not yet assigned transaction ids past \d+/);
    expect(db.pool.idleCount).toBe(db.pool.totalCount); // the failed open gave its connection back
  });
});
