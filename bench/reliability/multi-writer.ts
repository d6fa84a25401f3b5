// The long randomized MULTI-writer check: many seeds of in-process updaters (one with event
// loop stalls), CLI runs and a distributed pair writing the same targets at once while
// concurrent writers change the source; after each seed's quiet run, verify and every
// snapshot compared with `psql`'s reading of the database. Prints each failing seed so it
// can be replayed with --seeds <seed> (a seed fixes the plan; interleavings vary).
//
//   npx tsx bench/reliability/multi-writer.ts --seeds 200                 # seeds 1..200, both stores
//   npx tsx bench/reliability/multi-writer.ts --seeds 17,42 --store conditional
import { parseArgs } from 'node:util';
import {
  findPsql,
  MULTI_WRITER_STORES,
  multiWriterServices,
  runMultiWriterCheck,
  type MultiWriterMutation,
  type MultiWriterReport,
  type MultiWriterScale,
  type MultiWriterStore,
} from '@storage-builder/updater/testing';

const USAGE = `usage: npx tsx bench/reliability/multi-writer.ts [--seeds N|a,b,c] [--store s3rver|conditional|both] [--scale quick|long] [--verbose] [--mutate lose-row|unfenced-strays]
  --seeds     a count (200: seeds 1..200) or a list (17,42)              default 200
  --store     s3rver: the store as is (no conditional writes);
              conditional: the fault proxy enforcing If-Match/If-None-Match;
              both: each seed on each                                    default both
  --scale     quick (as in npm test) or long (longer phase, more writers) default long
  --verbose   print what each seed does (stalls, CLI runs, distributed runs)
  --mutate    lose-row | unfenced-strays: a deliberate fault, to see the check fail
Services: DATABASE_URL, S3_ENDPOINT and REDIS_URL when set, else Testcontainers or embedded ones.
Needs psql (PATH, or $PSQL). Exits 1 if any seed failed, 2 on bad arguments.`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      seeds: { type: 'string', default: '200' },
      store: { type: 'string', default: 'both' },
      scale: { type: 'string', default: 'long' },
      mutate: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (error) {
  fail((error as Error).message);
}
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const seeds = values.seeds.includes(',') ? values.seeds.split(',').map(Number) : Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
if (seeds.length === 0 || seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) fail(`--seeds is ${values.seeds}: give a count (200) or a list (17,42)`);
const stores: readonly MultiWriterStore[] =
  values.store === 'both' ? MULTI_WRITER_STORES : (MULTI_WRITER_STORES as readonly string[]).includes(values.store) ? [values.store as MultiWriterStore] : fail(`--store is ${values.store}: use s3rver, conditional or both`);
if (values.scale !== 'quick' && values.scale !== 'long') fail(`--scale is ${values.scale}: use quick or long`);
const scale = values.scale as MultiWriterScale;
if (values.mutate !== undefined && values.mutate !== 'lose-row' && values.mutate !== 'unfenced-strays') fail(`--mutate is ${values.mutate}: use lose-row or unfenced-strays`);
const mutation = values.mutate as MultiWriterMutation | undefined;
const psql = findPsql();
if (!psql) fail('psql is not on PATH (nor in $PSQL): install the PostgreSQL client (apt-get install postgresql-client)');

const services = await multiWriterServices('multi-writer-long');
console.log(`services: postgres ${services.postgres.provider}, object store ${services.objectStore.provider}, redis ${services.redis.provider}; psql ${psql}`);
const started = Date.now();
const failedSeeds: number[] = [];
let cleanupTrouble = 0;

function oneLine(report: MultiWriterReport): string {
  const a = report.activity;
  const detected = report.detected ? `detected ifMatch=${report.detected.ifMatch} ifNoneMatch=${report.detected.ifNoneMatch}` : 'nothing detected';
  const lost = Object.values(a.outcomes).reduce((sum, o) => sum + o.leaseLost, 0);
  const held = Object.values(a.outcomes).reduce((sum, o) => sum + o.heldSkip, 0);
  return (
    `${report.store}: ${report.problems.length === 0 ? 'ok' : 'FAILED'} (${detected}; ${a.committedTransactions} tx, ${a.keyChanges} key changes, ${a.reinserts} re-inserts, ` +
    `${a.stalls.length} stalls, ${a.heldManifestPuts} held PUTs, ${a.cliRuns.length} CLI runs, ${a.distributedRuns} distributed runs, ${held} held skips, ${lost} leases lost, ` +
    `${a.events['lease taken over mid-target'] ?? 0} take-overs seen by renewals, ${a.events['queue lock lost mid-target'] ?? 0} queue locks lost; ${(report.durationMs / 1000).toFixed(1)} s)`
  );
}

// Ctrl-C (or SIGTERM) ends the series after the seed in progress, which removes what it created.
let stopRequested = false;
const requestStop = () => {
  if (stopRequested) process.exit(130);
  stopRequested = true;
  console.log('stopping after the seed in progress (again to quit at once, leaving its database, objects and keys behind)');
};
process.on('SIGINT', requestStop);
process.on('SIGTERM', requestStop);
let ran = 0;

try {
  for (const [i, seed] of seeds.entries()) {
    if (stopRequested) break;
    ran++;
    const parts: string[] = [];
    let seedFailed = false;
    for (const store of stores) {
      const report = await runMultiWriterCheck(seed, { services, store, psql, scale, mutation, log: values.verbose ? (line) => console.log(line) : undefined });
      parts.push(oneLine(report));
      if (report.problems.length > 0) {
        seedFailed = true;
        console.log(`seed ${seed} ${store}: FAILED\n  ${report.problems.join('\n  ')}`);
      }
      if (report.concurrentFailures.length > 0) console.log(`seed ${seed} ${store}: targets that failed mid-run (not a failure by itself):\n  ${report.concurrentFailures.join('\n  ')}`);
      if (report.writerErrors.length > 0) console.log(`seed ${seed} ${store}: writer errors:\n  ${report.writerErrors.join('\n  ')}`);
      if (report.cleanupErrors.length > 0) {
        cleanupTrouble++;
        console.log(`seed ${seed} ${store}: could not clean up:\n  ${report.cleanupErrors.join('\n  ')}`);
      }
    }
    if (seedFailed) failedSeeds.push(seed);
    console.log(`[${i + 1}/${seeds.length}] seed ${seed}: ${parts.join('; ')}; ${failedSeeds.length} failed so far, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
} finally {
  await services.stop();
}
if (failedSeeds.length > 0) {
  const flags = [values.store !== 'both' ? `--store ${values.store}` : '', scale !== 'long' ? `--scale ${scale}` : '', mutation ? `--mutate ${mutation}` : ''].filter(Boolean).join(' ');
  console.log(`failing seeds: ${failedSeeds.join(',')} (replay: npx tsx bench/reliability/multi-writer.ts --seeds ${failedSeeds.join(',')} ${flags}${flags ? ' ' : ''}--verbose)`);
}
if (cleanupTrouble > 0) console.log(`${cleanupTrouble} seed runs could not clean up everything (see above)`);
if (ran < seeds.length) console.log(`stopped: ${seeds.length - ran} seeds not run`);
console.log(`${ran - failedSeeds.length} passed, ${failedSeeds.length} failed`);
// Explicit: embedded PostgreSQL's exit hooks would otherwise end the process with 0.
process.exit(failedSeeds.length > 0 ? 1 : ran < seeds.length ? 130 : 0);
