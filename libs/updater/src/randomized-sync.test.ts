import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomizedSyncOptionsFor, runRandomizedSync } from './testing/randomized-sync';
import { updaterFixture } from './testing/updater-fixture';

/** CI runs a few seeds; `npx tsx bench/reliability/randomized-sync.ts --seeds 200` runs many. */
const SEEDS = (process.env['RANDOMIZED_SYNC_SEEDS'] ?? '1,2,3').split(',').map(Number);

let fixture: Awaited<ReturnType<typeof updaterFixture>>;
beforeAll(async () => {
  fixture = await updaterFixture('randomized-sync');
});
afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
});

describe('randomized concurrent writers while UpdateAll runs', () => {
  it.each(SEEDS)('seed %i: every snapshot equals the database after a quiet run, nothing lost', async (seed) => {
    const report = await runRandomizedSync(seed, randomizedSyncOptionsFor(fixture));
    console.log(`randomized sync seed ${seed}: ${report.committedTransactions} transactions committed over ${report.rounds} rounds`);
    expect(report.committedTransactions).toBeGreaterThan(0);
    expect(report.failedRuns).toEqual([]);
    expect(report.mismatches).toEqual([]);
  });
});
