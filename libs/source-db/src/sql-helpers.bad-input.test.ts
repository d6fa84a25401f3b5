// The generators write numbers into SQL text: a number that is not one (a string from JSON or
// a caller's mistake) fails with the argument's name, before any statement is built or sent.
import { describe, expect, it } from 'vitest';
import { applyChurn } from './churn';
import { insertGeneratedRowsSql } from './row-generators';
import type { SqlSource } from './sql-source';
import { migratedDatabase } from './testing/migrated-database';
import { WriteTransaction } from './write-transaction';

const INJECTION = '1; DROP TABLE clients; --';
const spec = { kind: 'entities', clientId: 1, fromId: 1, count: 10, seed: 1, textWidth: 8, referenceCount: () => '10' } as const;

/** A source that fails the test if anything reaches it. */
const untouchable = { query: () => Promise.reject(new Error('the database was reached')), connect: () => Promise.reject(new Error('the database was reached')) } as unknown as SqlSource;

describe('SQL helpers on arguments that are not numbers', () => {
  it.each([
    ['textWidth', { textWidth: INJECTION }],
    ['seed', { seed: INJECTION }],
    ['clientId', { clientId: INJECTION }],
    ['fromId', { fromId: 1.5 }],
    ['count', { count: -1 }],
  ])('insertGeneratedRowsSql refuses %s', (name, bad) => {
    expect(() => insertGeneratedRowsSql({ ...spec, ...(bad as object) } as never)).toThrow(new RegExp(`^${name} is .*: use a whole number from`));
  });

  it('applyChurn refuses a textWidth that is not a number before it reaches the database', async () => {
    await expect(applyChurn(untouchable, { rate: 0.1, seed: 1, clientIds: [1], textWidth: INJECTION as unknown as number })).rejects.toThrow(/^textWidth is "1; DROP TABLE clients; --": use a whole number from 0 to 4000/);
  });

  it('WriteTransaction.insertRows refuses ids and counts that are not numbers, and writes nothing', async () => {
    await using db = await migratedDatabase('sql-helpers-bad-input');
    await using transaction = await WriteTransaction.begin(db.pool);
    await expect(transaction.insertRows('entities', 1, INJECTION as unknown as number, 1)).rejects.toThrow(/^fromId is /);
    await expect(transaction.insertRows('entities', 1, 1, INJECTION as unknown as number)).rejects.toThrow(/^count is /);
    const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'clients'");
    expect(rows[0]!.n).toBe(1);
  });
});
