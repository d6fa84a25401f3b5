// The randomized MULTI-writer check: per seed, a database and an object-store prefix of its
// own; in-process updaters (one stalling its event loop), CLI runs in child processes and a
// distributed pair on BullMQ all write the same targets at once while concurrent writers
// change the source; then a quiet run, a verify, and every snapshot compared with the
// database as `psql` prints it. See `runMultiWriterCheck`.
import { randomBytes } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { targetId, type RowValues, type Target } from '@storage-builder/data-model';
import { S3FaultProxy } from '@storage-builder/services/testing';
import { materializeTarget, readTargetManifest, SnapshotStore, type SnapshotStoreOptions } from '@storage-builder/snapshot';
import { seededRandom } from '@storage-builder/snapshot/testing';
import { createSourcePool, migrate, rowsOfKind, seedDatabase } from '@storage-builder/source-db';
import { errorMessage } from '../logger';
import type { ProgressEvent } from '../progress-events';
import { StorageUpdater, targetsOf } from '../storage-updater';
import { sourceConnectionsFor } from '../updater-options';
import { chooser, type Chooser } from './chooser';
import { DistributedPair } from './distributed-pair';
import { EventLoopStalls } from './event-loop-stalls';
import { holdManifestPuts } from './held-manifest-puts';
import { profileFor, SCALES, type MultiWriterCheckOptions, type ScalePlan } from './multi-writer-options';
import { emptySeedRecord, expectedSupport, seedReport, type MultiWriterReport, type SeedRecord } from './multi-writer-report';
import { deleteUnder, SeedCleanups } from './multi-writer-services';
import { PhaseClock } from './phase-clock';
import { compareTargetRows, readWithPsql } from './psql-reader';
import { SourceWriters } from './source-writers';
import { writeSpecialText } from './special-text';
import { StallingStore } from './stalling-store';
import { WorkerCliRuns } from './worker-cli-runs';
import { WriterActivity } from './writer-activity';

/** One random stream per component, so that a replay repeats each one's choices even though the interleavings vary. */
const STREAMS = { plan: 0, stalls: 1, cli: 2, distributed: 3, heldPuts: 4, writerRounds: 5, writerOperations: 6, updaterA: 7, updaterB: 8 } as const;

/** What every phase of a seed shares. */
interface Seed {
  readonly seed: number;
  readonly options: MultiWriterCheckOptions;
  readonly plan: ScalePlan;
  /** Names the seed's database, object prefix, queue and lease holders. */
  readonly label: string;
  readonly log: (line: string) => void;
  readonly record: SeedRecord;
  readonly cleanups: SeedCleanups;
  stream(component: keyof typeof STREAMS): Chooser;
}

/** The seed's database, seeded. */
interface SeedSource {
  readonly database: string;
  readonly url: string;
  readonly clientIds: readonly number[];
  readonly targets: readonly Target[];
  /** How many rows the seed gave a target, with ids from 1. */
  readonly seededIds: (target: Target) => number;
  /** A new pool on the database, ended with the seed. */
  readonly poolOf: (max: number) => pg.Pool;
  readonly writerPool: pg.Pool;
}

/** The seed's prefix of the object store, behind the fault proxy. */
interface SeedStore {
  readonly proxy: S3FaultProxy;
  readonly prefix: string;
  readonly options: SnapshotStoreOptions;
}

/**
 * One seed of the multi-writer check, on one store kind. Against a database and an object
 * store prefix of its own:
 * 1. seeds a small source and writes `SPECIAL_TEXT` into its text columns;
 * 2. for a bounded time and number of rounds, runs at once: an incremental in-process
 *    updater whose event loop stalls 1–3 s (a busy-wait inside a store call or a progress
 *    listener: its leases and the queue's locks expire mid-target), a non-incremental one,
 *    CLI `update-all` runs in child processes, two BullMQ consumers fed by a
 *    DistributedRunner, concurrent writers (inserts, updates, deletes, re-inserted and
 *    changed keys, special text, out-of-order commits, rollbacks, a transaction held open
 *    across rounds) and manifest PUTs held back by the proxy for a random while;
 * 3. then a quiet incremental run must fail and skip nothing, `verify` (full depth, no
 *    heal) must find nothing broken, and every target's materialized snapshot must equal
 *    what `psql` prints of the database.
 * A seed fixes the data and each component's stream of random choices (rounds, sizes,
 * stalls, which CLI runs with --wait, ...); the interleavings, and so which writer meets which,
 * vary between replays, as in production. Everything it creates is removed at the end: the
 * database, the objects under its prefix, its Redis keys and queue, the child processes.
 */
export async function runMultiWriterCheck(seed: number, options: MultiWriterCheckOptions): Promise<MultiWriterReport> {
  const started = Date.now();
  const scale = options.scale ?? 'quick';
  const storeBit = options.store === 'conditional' ? 1 : 0;
  const context: Seed = {
    seed,
    options,
    plan: SCALES[scale],
    label: `mw-${seed}-${options.store === 'conditional' ? 'c' : 'p'}-${randomBytes(3).toString('hex')}`,
    log: options.log ?? (() => undefined),
    record: emptySeedRecord(new WriterActivity()),
    cleanups: new SeedCleanups(),
    stream: (component) => chooser(seededRandom(((seed * 2 + storeBit) * 16 + STREAMS[component]) % 2_147_483_647)),
  };
  const { services } = options;
  const admin = new pg.Client({ connectionString: services.postgres.url });
  await admin.connect();
  context.cleanups.add('admin connection', () => admin.end());
  const s3 = new S3Client(services.objectStore.clientConfig);
  context.cleanups.add('S3 client', () => s3.destroy());
  try {
    const source = await setUpSource(context, admin);
    const store = await setUpStore(context, s3);
    await runConcurrentPhase(context, source, store);
    await runQuietPhase(context, source, store);
  } catch (error) {
    context.record.problems.push(`the check itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  const cleanupErrors = await context.cleanups.runAll();
  const identity = { seed, store: options.store, scale, mutation: options.mutation, expected: expectedSupport(options.store, services.objectStore.provider) };
  return seedReport(identity, context.record, cleanupErrors, started);
}

/** Phase 1: a database of the seed's own, seeded, with special text everywhere. */
async function setUpSource({ seed, label, options, cleanups }: Seed, admin: pg.Client): Promise<SeedSource> {
  const database = `sb_${label.replace(/-/g, '_')}`;
  await admin.query(`CREATE DATABASE "${database}"`);
  cleanups.add(`database ${database}`, () => admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  const url = new URL(options.services.postgres.url);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  const pools: pg.Pool[] = [];
  cleanups.add('source pools', () => Promise.all(pools.map((p) => p.end())));
  // An idle connection that dies (the database dropped at the end) must not crash the process.
  const track = (pool: pg.Pool) => {
    pool.on('error', () => undefined);
    pools.push(pool);
    return pool;
  };
  const poolOf = (max: number) => track(createSourcePool({ connectionString: databaseUrl, max }));
  const setupPool = poolOf(2);
  const profile = profileFor(seed);
  await migrate(setupPool);
  await seedDatabase(setupPool, profile);
  const clientIds = Array.from({ length: profile.clients }, (_, i) => i + 1);
  const targets = targetsOf(clientIds);
  const seededIds = (target: Target) => rowsOfKind(profile, target.kind, target.clientId);
  await writeSpecialText(setupPool, targets, seededIds);
  // Writers wait at most 2 s for a row lock: no writer can hang the seed behind another.
  const writerPool = track(new pg.Pool({ connectionString: databaseUrl, max: 8, client_encoding: 'UTF8', options: '-c lock_timeout=2000' }));
  return { database, url: databaseUrl, clientIds, targets, seededIds, poolOf, writerPool };
}

/** Phase 1, the store: the seed's prefix behind the proxy (which holds manifest PUTs; with `conditional`, enforces conditions). */
async function setUpStore({ label, options, cleanups }: Seed, s3: S3Client): Promise<SeedStore> {
  const { objectStore } = options.services;
  const bucket = objectStore.bucket;
  const prefix = `multi-writer/${label}`;
  const proxy = await S3FaultProxy.start(objectStore.connection.endpoint, { enforceConditionalWrites: options.store === 'conditional' });
  cleanups.add('S3 fault proxy', () => proxy.stop());
  const proxied = new S3Client({ ...objectStore.clientConfig, endpoint: proxy.url });
  cleanups.add('proxied S3 client', () => proxied.destroy());
  cleanups.add(`objects under ${prefix}/`, () => deleteUnder(s3, bucket, `${prefix}/`));
  // s3rver removes a directory that a DeleteObject leaves empty, and a PutObject into it at
  // that moment fails inside s3rver (an unhandled stream error that ends the process running
  // it): two stores probing at once do exactly that in `<prefix>/.probe/`. Keep it non-empty.
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/.probe/keep`, Body: 'keeps the probe directory of s3rver from being removed' }));
  return { proxy, prefix, options: { s3: proxied, bucket, prefix, partSize: 5 * 1024 * 1024, logger: { warn: () => undefined } } };
}

/**
 * What the `plan` stream decides for a seed, drawn up front. The order of the draws is part
 * of the seed: a replay must draw the same values for the same things.
 */
function drawPlan(choose: Chooser, plan: ScalePlan) {
  const stalls = choose.between(plan.stalls);
  const leaseTtlMs = () => choose.between([1_000, 1_500]);
  const a = { parallelism: choose.between([2, 3]), leaseTtlMs: leaseTtlMs(), maxDeltas: choose.between([1, 3]) };
  const b = { parallelism: choose.between([2, 3]), leaseTtlMs: leaseTtlMs() };
  const consumers = [1, 2].map((n) => ({ n, concurrency: choose.between([1, 2]), leaseTtlMs: leaseTtlMs() }));
  const updaterRounds = { a: choose.between(plan.updaterRounds), b: choose.between(plan.updaterRounds) };
  return { stalls, a, b, consumers, updaterRounds, cliRuns: choose.between(plan.cliRuns) };
}

/**
 * Phase 2: every writer at once, for a bounded time and number of rounds; then the
 * distributed pair is stopped, its queue removed, and what each store probed collected.
 */
async function runConcurrentPhase(context: Seed, source: SeedSource, store: SeedStore): Promise<void> {
  const { seed, options, plan, label, log, record, cleanups } = context;
  const { activity } = record;
  const clock = new PhaseClock(plan.phaseMs);
  cleanups.add('phase timers', () => clock.stop());
  const draws = drawPlan(context.stream('plan'), plan);
  const cliSettings = { databaseUrl: source.url, connection: options.services.objectStore.connection, endpoint: store.proxy.url, bucket: store.options.bucket, prefix: store.prefix, phaseMs: plan.phaseMs };
  const cli = (record.cli = new WorkerCliRuns(cliSettings, context.stream('cli'), activity, record.problems, log));
  const stalls = (record.stalls = new EventLoopStalls(draws.stalls, context.stream('stalls'), clock, () => cli.live, log));

  const stallingStore = new StallingStore(store.options, (where) => stalls.maybeStall(where), options.mutation === 'unfenced-strays');
  const stores: Array<{ who: string; store: SnapshotStore }> = [{ who: 'in-process A', store: stallingStore }];
  const storeFor = (who: string) => {
    const snapshotStore = new SnapshotStore(store.options);
    stores.push({ who, store: snapshotStore });
    return snapshotStore;
  };
  const updaterA = new StorageUpdater({
    source: source.poolOf(sourceConnectionsFor(draws.a.parallelism)),
    store: stallingStore,
    parallelism: draws.a.parallelism,
    incremental: true,
    leaseHolder: `${label}/A`,
    leaseTtlMs: draws.a.leaseTtlMs,
    maxAttempts: 2,
    publisher: { maxDeltas: draws.a.maxDeltas },
    logger: activity.loggerFor('A'),
    onProgress: (event: ProgressEvent) => {
      if (event.type === 'target-finished' || event.type === 'target-started') stalls.maybeStall(`A's progress listener (${event.type})`);
    },
  });
  const updaterB = new StorageUpdater({
    source: source.poolOf(sourceConnectionsFor(draws.b.parallelism)),
    store: storeFor('in-process B'),
    parallelism: draws.b.parallelism,
    incremental: false,
    leaseHolder: `${label}/B`,
    leaseTtlMs: draws.b.leaseTtlMs,
    maxAttempts: 2,
    logger: activity.loggerFor('B'),
  });
  cleanups.add('CLI processes', () => cli.killAll());
  const consumers = draws.consumers.map(({ n, concurrency, leaseTtlMs }) => ({
    concurrency,
    logger: activity.loggerFor(`queue ${n}`),
    updater: new StorageUpdater({
      source: source.poolOf(sourceConnectionsFor(2)),
      store: storeFor(`queue ${n}`),
      parallelism: 2,
      maxAttempts: 1,
      leaseHolder: `${label}/queue-${n}`,
      leaseTtlMs,
      logger: activity.loggerFor(`queue ${n}`),
    }),
  }));
  const { redis } = options.services;
  const pair = (record.distributed = new DistributedPair({ redisUrl: redis.url, prefix: `${redis.keyPrefix}${label}` }, consumers, cleanups));
  const writers = (record.writers = new SourceWriters(source.writerPool, context.stream('writerOperations'), source.targets, source.seededIds));

  log(`seed ${seed} ${options.store}: ${source.targets.length} targets, phase ${plan.phaseMs} ms, database ${source.database}, prefix ${store.prefix}`);
  const updaterRounds = async (name: string, updater: StorageUpdater, rounds: number, choose: Chooser) => {
    for (let round = 0; round < rounds && clock.running; round++) {
      const summary = await updater.runTargets(choose.shuffled(source.targets));
      for (const result of summary.results) activity.noteResult(name, result);
      await clock.pause(choose.between([0, 300]));
    }
  };
  const work: ReadonlyArray<readonly [string, Promise<void>]> = [
    ['writers', writers.writeInRounds(context.stream('writerRounds'), plan, clock, source.clientIds)],
    ['updater A', updaterRounds('A', updaterA, draws.updaterRounds.a, context.stream('updaterA'))],
    ['updater B', updaterRounds('B', updaterB, draws.updaterRounds.b, context.stream('updaterB'))],
    ['CLI runs', cli.runAll(draws.cliRuns, clock)],
    ['distributed runs', pair.runAll(source.targets, context.stream('distributed'), plan.distributedRuns, clock, activity, log)],
    ['held PUTs', holdManifestPuts(store.proxy, store.prefix, context.stream('heldPuts'), plan.heldPuts, clock, () => record.heldManifestPuts++)],
  ];
  const settled = await Promise.allSettled(work.map(([, promise]) => promise));
  for (const [i, outcome] of settled.entries()) {
    if (outcome.status === 'rejected') record.problems.push(`${work[i]![0]} threw: ${errorMessage(outcome.reason)}`);
  }
  clock.stop();
  store.proxy.clear();
  await pair.stop();
  for (const { who, store: snapshotStore } of stores) {
    const support = await snapshotStore.conditionalWrites().catch(() => undefined);
    if (support) record.supports.push({ who, support });
  }
}

/** Phase 3, with every writer stopped: one run that waits for leases, a verify, the comparison with psql. */
async function runQuietPhase({ options, label, record }: Seed, source: SeedSource, store: SeedStore): Promise<void> {
  const { activity, problems } = record;
  const quietStore = new SnapshotStore(store.options);
  const quiet = new StorageUpdater({
    source: source.poolOf(sourceConnectionsFor(3)),
    store: quietStore,
    parallelism: 3,
    incremental: true,
    whenHeld: 'wait',
    leaseHolder: `${label}/quiet`,
    leaseTtlMs: 10_000,
    maxAttempts: 3,
    logger: activity.loggerFor('quiet'),
  });
  const summary = await quiet.updateAll();
  record.quietRun = { completed: summary.completed.full + summary.completed.incremental, failed: summary.failed, skipped: summary.skipped, aborted: summary.aborted };
  for (const result of summary.results) {
    if (result.state === 'failed') problems.push(`quiet run: ${targetId(result.target)} failed: ${result.error}`);
    else if (result.state === 'skipped') problems.push(`quiet run: ${targetId(result.target)} skipped: ${result.reason}`);
    else if (result.state === 'aborted') problems.push(`quiet run: ${targetId(result.target)} aborted`);
    else activity.noteResult('quiet', result);
  }
  record.supports.push({ who: 'quiet', support: await quietStore.conditionalWrites() });
  const verified = await quiet.verify({ heal: false, depth: 'full' });
  record.verify = { ok: verified.ok, broken: verified.broken, held: verified.held, absent: verified.absent };
  for (const result of verified.results) {
    if (result.state === 'broken') record.broken.push(`${targetId(result.target)}: verify: ${result.problem}`);
    else if (result.state !== 'ok') record.broken.push(`${targetId(result.target)}: verify: ${result.state}`);
  }
  await compareWithPsql(options, source, quietStore, record);
}

/** Every target's materialized snapshot against what `psql` prints of the database; `lose-row` first drops a row of one snapshot. */
async function compareWithPsql(options: MultiWriterCheckOptions, source: SeedSource, store: SnapshotStore, record: SeedRecord): Promise<void> {
  let mutated = options.mutation !== 'lose-row';
  for (const target of source.targets) {
    let snapshot: Map<string, RowValues> | undefined;
    try {
      snapshot = (await materializeTarget(store, target))?.rows;
      if (!snapshot) {
        const manifest = await readTargetManifest(store, target);
        record.broken.push(`${targetId(target)}: no manifest after the quiet run (${manifest.state})`);
        continue;
      }
    } catch (error) {
      record.broken.push(`${targetId(target)}: materialize: ${errorMessage(error)}`);
      continue;
    }
    if (!mutated && snapshot.size > 0) {
      snapshot.delete(snapshot.keys().next().value!);
      mutated = true;
    }
    const comparison = compareTargetRows(target, await readWithPsql(options.psql, source.url, target), snapshot);
    record.lost.push(...comparison.lost);
    record.extra.push(...comparison.extra);
    record.differing.push(...comparison.differing);
  }
}
