// The long randomized correctness check: many seeds of concurrent writers (out-of-order
// commits, rollbacks, a long-running transaction) while incremental UpdateAll runs; after
// each seed's quiet run every snapshot must equal the database. Prints each failing seed
// so it can be replayed with --seeds <seed>.
//
//   npx tsx bench/reliability/randomized-sync.ts --seeds 200          # seeds 1..200
//   npx tsx bench/reliability/randomized-sync.ts --seeds 17,42        # just these
import { parseArgs } from 'node:util';
import { randomizedSyncOptionsFor, runRandomizedSync, updaterFixture } from '@storage-builder/updater/testing';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '200' }, rounds: { type: 'string', default: '2' } } });
const seeds = values.seeds.includes(',') ? values.seeds.split(',').map(Number) : Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`--seeds is ${values.seeds}: give a count (200) or a list (17,42)`);

const fixture = await updaterFixture('randomized-sync-long');
const started = Date.now();
let failed = 0;
let transactions = 0;
try {
  for (const [i, seed] of seeds.entries()) {
    let problems: string[];
    try {
      const report = await runRandomizedSync(seed, randomizedSyncOptionsFor(fixture, Number(values.rounds)));
      transactions += report.committedTransactions;
      problems = [...report.failedRuns, ...report.mismatches];
    } catch (error) {
      // A seed that throws (a snapshot that cannot be read, say) is a failed seed, not the end of the check.
      problems = [`threw: ${error instanceof Error ? error.message : String(error)}`];
    }
    if (problems.length > 0) {
      failed++;
      console.log(`seed ${seed}: FAILED\n  ${problems.join('\n  ')}`);
    } else if ((i + 1) % 10 === 0 || i + 1 === seeds.length) {
      console.log(`${i + 1}/${seeds.length} seeds, ${failed} failed, ${transactions} transactions committed, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  console.log(`${seeds.length - failed} passed, ${failed} failed`);
} finally {
  // Stops the embedded services however the check ended: a crash must not leave them running.
  await fixture[Symbol.asyncDispose]();
}
// Explicit: embedded PostgreSQL's exit hooks would otherwise end the process with 0.
process.exit(failed > 0 ? 1 : 0);
