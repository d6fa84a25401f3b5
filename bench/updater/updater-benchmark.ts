// Benchmark of the storage updater's UpdateAll (not a test: nothing here asserts a time).
// From the repository root:
//   npx tsx bench/updater/updater-benchmark.ts                       # all three scenarios, defaults
//   npx tsx bench/updater/updater-benchmark.ts --scenario incremental --rows 1000000 --rounds 5
//   npx tsx bench/updater/updater-benchmark.ts --scenario parallel --parallel-rows 600000 --rounds 3
// Flags: --scenario incremental|scale|parallel|all (all), --rows N raw-data rows of the big
// client (1,000,000; the scale scenario also seeds 2×N), --rounds R (3), --churn F rate per
// round at N rows (0.0001 = 0.01%), --parallel-rows N raw-data rows over 120 clients (600,000),
// --serializer streaming|batched|legacy (streaming).
//
// 1. incremental: one client, N raw-data rows. Full UpdateAll once (warm-up), then R rounds of
//    applyChurn(rate F, new seed) → incremental UpdateAll → full UpdateAll (incremental: false),
//    so A and B alternate on the same data. The order inside a round is forced: a full run
//    first would leave the incremental one nothing to read.
// 2. scale: the same at N and 2N rows in two databases of one server, with the same absolute
//    number of changed rows (rate F at N, F/2 at 2N); which goes first alternates per round.
// 3. parallel: 120 clients × 5 kinds = 600 targets, full syncs at parallelism 4 and 1, one
//    unmeasured warm-up, then R rounds, order alternating per round.
//
// Every measured UpdateAll runs in the harness's measured child (bench/harness/update-all-child.ts) against the same
// DATABASE_URL / S3 settings, so its CPU (process.cpuUsage around updateAll) and peak RSS
// (process.resourceUsage().maxRSS) are its own. PostgreSQL's CPU is in the server's processes,
// not in the child: it is read separately from /proc of the postmaster (its own and its
// reaped backends' utime+stime) when the server is local, else shown as n/a. The embedded
// object store (s3rver) runs inside this parent process, so the parent's CPU during a child
// run is shown as the object store's CPU. Uses DATABASE_URL / S3_ENDPOINT when set, else
// embedded PostgreSQL and s3rver. UPDATER_BENCH_NODE_ARGS adds node flags to every child
// (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"; profiling distorts the figures). Medians are printed as a Markdown table, then one JSON line.
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { DATA_KINDS, targetId } from '@storage-builder/data-model';
import { ReleaseStack } from '@storage-builder/resources';
import { provisionPostgres, provisionServices, type PostgresService } from '@storage-builder/services';
import { SERIALIZER_STRATEGIES, type SerializerStrategy } from '@storage-builder/snapshot';
import { applyChurn, migrate, parseDataProfile, seedDatabase, type DataProfile } from '@storage-builder/source-db';
import { median, round } from '../harness/stats';
import { measureUpdateAll, type MeasuredUpdateAll, type UpdateAllSwitches } from '../harness/measured-child';

const SCENARIOS = ['incremental', 'scale', 'parallel'] as const;
type Scenario = (typeof SCENARIOS)[number];
const PARALLEL_CLIENTS = 120;
const CLOCK_TICKS_PER_SECOND = 100;
/** Extra node flags for each child, e.g. UPDATER_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (not allowed in NODE_OPTIONS). */
const childNodeArgs = (process.env['UPDATER_BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'all' },
    rows: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    churn: { type: 'string', default: '0.0001' },
    'parallel-rows': { type: 'string', default: '600000' },
    serializer: { type: 'string', default: 'streaming' },
  },
});

function positiveInteger(text: string | undefined, flag: string): number {
  const number = Number(text?.replace(/_/g, ''));
  if (Number.isSafeInteger(number) && number > 0) return number;
  throw new Error(`--${flag} is ${JSON.stringify(text)}: use a positive integer`);
}

const rows = positiveInteger(values.rows, 'rows');
const rounds = positiveInteger(values.rounds, 'rounds');
const parallelRows = positiveInteger(values['parallel-rows'], 'parallel-rows');
const churn = Number(values.churn);
if (!(churn > 0 && churn <= 0.5)) throw new Error(`--churn is ${JSON.stringify(values.churn)}: use a fraction above 0, e.g. 0.0001 for 0.01%`);
if (Math.round((churn / 2) * 1_000_000) < 1) throw new Error(`--churn ${churn}: applyChurn picks rows in millionths, so half of it must be at least 0.000001`);
if (!(SERIALIZER_STRATEGIES as readonly string[]).includes(values.serializer)) {
  throw new Error(`--serializer is ${JSON.stringify(values.serializer)}: use one of ${SERIALIZER_STRATEGIES.join(', ')}`);
}
const serializer = values.serializer as SerializerStrategy;
const scenarios: readonly Scenario[] =
  values.scenario === 'all'
    ? SCENARIOS
    : (SCENARIOS as readonly string[]).includes(values.scenario)
      ? [values.scenario as Scenario]
      : (() => {
          throw new Error(`--scenario is ${JSON.stringify(values.scenario)}: use ${SCENARIOS.join(', ')} or all`);
        })();

/** One measured UpdateAll: the child's figures plus what the servers spent meanwhile. */
interface Measurement extends MeasuredUpdateAll {
  /** utime+stime of the postmaster and its reaped children during the run; undefined when the server is not local. */
  postgresCpuMs: number | undefined;
  /** This process's CPU during the child's run: the embedded s3rver when it is in use. */
  parentCpuMs: number;
}

/** A benchmark database: its own isolated database on the one server, seeded, with a pool. */
interface BenchDatabase {
  readonly name: string;
  readonly handle: PostgresService;
  readonly pool: pg.Pool;
  readonly prefix: string;
  readonly profile: DataProfile;
  postmasterPid: number | undefined;
}

const log = (message: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);

// Released last-in-first-out at the end, on an error, or on Ctrl-C: pools, databases, bucket, servers.
const stack = new ReleaseStack();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping services`);
    void stack.releaseAll().finally(() => process.exit(130));
  });
}
const services = await provisionServices({ label: 'updater-bench' });
stack.push('services', () => services.stop());
for (const line of services.describe()) log(line);
const objectStore = services.objectStore;

/**
 * Deletes this benchmark's objects, target directory by target directory, before the bucket
 * is emptied on stop: s3rver 3.7.1 answers a ListObjectsV2 that matches more than 1,000 keys
 * with a 500 InternalError, so the bucket's own clean-up fails after the 600-target runs.
 */
async function deleteBenchObjects(prefixes: readonly string[]): Promise<void> {
  const s3 = new S3Client(objectStore.clientConfig);
  const failures: string[] = [];
  try {
    for (const prefix of prefixes) {
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: objectStore.bucket, Prefix: `${prefix}/`, ContinuationToken: token })).catch((error: unknown) => {
          throw new Error(`listing ${prefix}/ failed: ${error instanceof Error ? `${error.name} ${error.message}` : String(error)}`);
        });
        for (const object of page.Contents ?? []) {
          await s3.send(new DeleteObjectCommand({ Bucket: objectStore.bucket, Key: object.Key })).catch((error: unknown) => {
            failures.push(`${object.Key}: ${error instanceof Error ? `${error.name} ${error.message}` : String(error)}`);
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    }
    if (failures.length > 0) log(`cleanup: ${failures.length} object(s) could not be deleted, e.g. ${failures[0]}`);
  } finally {
    s3.destroy();
  }
}

const databases = new Map<string, BenchDatabase>();
stack.push('benchmark objects', () =>
  deleteBenchObjects(
    [...databases.values()].flatMap((db) =>
      Array.from({ length: db.profile.clients }, (_, i) => DATA_KINDS.map((kind) => `${db.prefix}/${targetId({ clientId: i + 1, kind })}`)).flat(),
    ),
  ),
);
/** Creates (once) a database on the same server as `services.postgres`, seeds it and runs one unmeasured full UpdateAll. */
async function database(name: string, profile: DataProfile): Promise<BenchDatabase> {
  const existing = databases.get(name);
  if (existing) return existing;
  // Same server, own database: the environment provider isolates a new database on the URL's server.
  const handle = await provisionPostgres({ provider: 'environment', env: { DATABASE_URL: services.postgres.url }, label: `updater-bench-${name}` });
  stack.push(`database ${name}`, () => handle.stop());
  const pool = new pg.Pool({ connectionString: handle.url, max: 2 });
  stack.push(`pool ${name}`, () => pool.end());
  await migrate(pool);
  const seeded = await seedDatabase(pool, profile);
  const { rows: size } = await pool.query<{ size: string }>(`SELECT pg_size_pretty(pg_total_relation_size('raw_data')) AS size`);
  log(`${name}: seeded ${profile.clients} client(s), ${profile.rows.rawData} raw-data rows in ${(seeded.elapsedMs / 1000).toFixed(1)} s; raw_data on disk ${size[0]?.size}`);
  const db: BenchDatabase = { name, handle, pool, prefix: `bench-${name}`, profile, postmasterPid: await postmasterPid(pool) };
  databases.set(name, db);
  const warm = await measure(db, { parallelism: 4, incremental: true });
  log(`${name}: initial full UpdateAll (unmeasured): ${warm.full} full targets, ${warm.rows} rows, ${(warm.wallMs / 1000).toFixed(1)} s wall, ${(warm.cpuMs / 1000).toFixed(1)} CPU-s`);
  return db;
}

async function postmasterPid(pool: pg.Pool): Promise<number | undefined> {
  const { rows: backend } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = backend[0]?.pid;
  const stat = pid === undefined ? undefined : readStat(pid);
  // Only a server on this machine whose backend this is (not a same-numbered local process).
  if (!stat || !stat.comm.includes('postgres')) return undefined;
  return stat.ppid;
}

function readStat(pid: number): { comm: string; ppid: number; cpuTicks: number } | undefined {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  // Fields after the comm: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17).
  const fields = text.slice(close + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3]);
  return { comm, ppid: field(4), cpuTicks: field(14) + field(15) + field(16) + field(17) };
}

function postgresCpuTicks(db: BenchDatabase): number | undefined {
  return db.postmasterPid === undefined ? undefined : readStat(db.postmasterPid)?.cpuTicks;
}

async function measure(db: BenchDatabase, run: Pick<UpdateAllSwitches, 'parallelism' | 'incremental'>): Promise<Measurement> {
  const connection = { databaseUrl: db.handle.url, s3: objectStore.connection, bucket: objectStore.bucket, prefix: db.prefix };
  const pgBefore = postgresCpuTicks(db);
  const parentBefore = process.cpuUsage();
  const child = await measureUpdateAll(connection, { ...run, serializer }, { inspectChains: true }, childNodeArgs);
  const parent = process.cpuUsage(parentBefore);
  await sleep(200); // let the child's backends exit and be reaped into the postmaster's cutime
  const pgAfter = postgresCpuTicks(db);
  return {
    ...child,
    postgresCpuMs: pgBefore === undefined || pgAfter === undefined ? undefined : ((pgAfter - pgBefore) / CLOCK_TICKS_PER_SECOND) * 1000,
    parentCpuMs: (parent.user + parent.system) / 1000,
  };
}

// ---------------------------------------------------------------- statistics and printing

interface Medians {
  runs: number;
  wallS: number;
  cpuS: number;
  postgresCpuS: number | null;
  objectStoreCpuS: number;
  peakRssMiB: number;
  baselineRssMiB: number;
  heapLimitMiB: number;
  rows: number;
  tombstones: number;
  bytes: number;
  compactions: number;
  warnings: number;
}

function medians(runs: readonly Measurement[]): Medians {
  const pg = runs.map((r) => r.postgresCpuMs);
  return {
    runs: runs.length,
    wallS: round(median(runs.map((r) => r.wallMs)) / 1000, 3),
    cpuS: round(median(runs.map((r) => r.cpuMs)) / 1000, 3),
    postgresCpuS: pg.every((x) => x !== undefined) ? round(median(pg) / 1000, 2) : null,
    objectStoreCpuS: round(median(runs.map((r) => r.parentCpuMs)) / 1000, 2),
    peakRssMiB: round(median(runs.map((r) => r.peakRssKib)) / 1024, 1),
    baselineRssMiB: round(median(runs.map((r) => r.baselineRssKib)) / 1024, 1),
    heapLimitMiB: round(median(runs.map((r) => r.heapLimitMiB)), 0),
    rows: median(runs.map((r) => r.rows)),
    tombstones: median(runs.map((r) => r.tombstones)),
    bytes: median(runs.map((r) => r.bytes)),
    compactions: runs.reduce((sum, r) => sum + (r.compactions ?? 0), 0),
    warnings: runs.reduce((sum, r) => sum + r.warnings, 0),
  };
}

/** Median of per-round ratios a[i] / b[i] (pairs measured next to each other). */
function pairedRatio(a: readonly Measurement[], b: readonly Measurement[], pick: (m: Measurement) => number): number {
  return round(median(a.map((x, i) => pick(x) / pick(b[i]!))), 4);
}

const fmt = (x: number | null, digits = 2) => (x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(digits));
const TABLE_HEADER =
  '| run | n | wall s | worker CPU-s | PostgreSQL CPU-s | s3rver CPU-s | peak RSS MiB (baseline) | rows read | tombstones | bytes written |\n' +
  '|---|---|---|---|---|---|---|---|---|---|';
function tableRow(label: string, m: Medians): string {
  return `| ${label} | ${m.runs} | ${fmt(m.wallS, 3)} | ${fmt(m.cpuS, 3)} | ${fmt(m.postgresCpuS)} | ${fmt(m.objectStoreCpuS)} | ${fmt(m.peakRssMiB, 1)} (${fmt(m.baselineRssMiB, 1)}) | ${m.rows} | ${m.tombstones} | ${m.bytes} |`;
}

// ---------------------------------------------------------------- scenarios

const smallKinds = { entities: 1_000, dataItems: 200, formulas: 100, formulaAssociations: 500 };
const oneClient = (rawData: number, seed: number) =>
  parseDataProfile({ clients: 1, rows: { rawData, ...smallKinds }, rawDataSkew: 1, textWidth: 24, seed }, `${rawData}-row profile`);
const databaseAt = (rawData: number) => database(`${rawData}`, oneClient(rawData, 1));

let churnSeed = 1000;
/** Changes only client 1's raw data, so the absolute count of changed rows is set by rate × rows. */
async function churnRound(db: BenchDatabase, rate: number): Promise<{ changed: number }> {
  const result = await applyChurn(db.pool, { rate, seed: churnSeed++, clientIds: [1], kinds: ['raw-data'] });
  return { changed: result.inserted + result.updated + result.deleted };
}

const output: string[] = [];
const json: Record<string, unknown> = {
  benchmark: 'updater',
  serializer,
  rounds,
  postgres: `${services.postgres.provider}`,
  objectStore: `${objectStore.provider}`,
  cores: (await import('node:os')).availableParallelism(),
};

async function incrementalScenario(): Promise<void> {
  const db = await databaseAt(rows);
  const incremental: Measurement[] = [];
  const full: Measurement[] = [];
  const changed: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    changed.push((await churnRound(db, churn)).changed);
    incremental.push(await measure(db, { parallelism: 4, incremental: true }));
    full.push(await measure(db, { parallelism: 4, incremental: false }));
    log(`incremental round ${round}/${rounds}: ${changed.at(-1)} rows changed; incremental ${secs(incremental.at(-1)!)}; full ${secs(full.at(-1)!)}`);
  }
  const inc = medians(incremental);
  const ful = medians(full);
  const fraction = {
    wallRatioOfMedians: round(inc.wallS / ful.wallS, 4),
    cpuRatioOfMedians: round(inc.cpuS / ful.cpuS, 4),
    wallPairedMedian: pairedRatio(incremental, full, (m) => m.wallMs),
    cpuPairedMedian: pairedRatio(incremental, full, (m) => m.cpuMs),
  };
  output.push(
    `### 1. Incremental vs full UpdateAll: ${rows.toLocaleString('en-US')} raw-data rows, churn ${pct(churn)} per round (median ${median(changed)} rows changed), parallelism 4, ${serializer}`,
    '',
    TABLE_HEADER,
    tableRow('incremental', inc),
    tableRow('full (incremental: false)', ful),
    '',
    `Incremental cost as a fraction of full: wall ${pct(fraction.wallRatioOfMedians)}, worker CPU ${pct(fraction.cpuRatioOfMedians)} (ratio of medians); ` +
      `median of per-round ratios: wall ${pct(fraction.wallPairedMedian)}, CPU ${pct(fraction.cpuPairedMedian)}.` +
      (inc.compactions > 0 ? ` ${inc.compactions} incremental target run(s) included a compaction.` : ''),
    '',
  );
  json['incremental'] = { rows, churnRate: churn, changedRowsMedian: median(changed), incremental: inc, full: ful, fraction };
}

async function scaleScenario(): Promise<void> {
  const small = await databaseAt(rows);
  const big = await databaseAt(rows * 2);
  const runs = { small: [] as Measurement[], big: [] as Measurement[] };
  const changed = { small: [] as number[], big: [] as number[] };
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? (['small', 'big'] as const) : (['big', 'small'] as const);
    for (const which of order) {
      const db = which === 'small' ? small : big;
      changed[which].push((await churnRound(db, which === 'small' ? churn : churn / 2)).changed);
      runs[which].push(await measure(db, { parallelism: 4, incremental: true }));
    }
    log(`scale round ${round}/${rounds}: ${rows} rows ${changed.small.at(-1)} changed, ${secs(runs.small.at(-1)!)}; ${rows * 2} rows ${changed.big.at(-1)} changed, ${secs(runs.big.at(-1)!)}`);
  }
  const s = medians(runs.small);
  const b = medians(runs.big);
  const ratio = {
    wallRatioOfMedians: round(b.wallS / s.wallS, 3),
    cpuRatioOfMedians: round(b.cpuS / s.cpuS, 3),
    wallPairedMedian: pairedRatio(runs.big, runs.small, (m) => m.wallMs),
    cpuPairedMedian: pairedRatio(runs.big, runs.small, (m) => m.cpuMs),
  };
  output.push(
    `### 2. Incremental UpdateAll at ${rows.toLocaleString('en-US')} vs ${(rows * 2).toLocaleString('en-US')} raw-data rows, same changed rows (rate ${pct(churn)} vs ${pct(churn / 2)}; median ${median(changed.small)} vs ${median(changed.big)} rows changed)`,
    '',
    TABLE_HEADER,
    tableRow(`incremental @ ${rows.toLocaleString('en-US')}`, s),
    tableRow(`incremental @ ${(rows * 2).toLocaleString('en-US')}`, b),
    '',
    `2× the table with the same changed rows costs ${ratio.wallRatioOfMedians}× wall and ${ratio.cpuRatioOfMedians}× worker CPU (ratio of medians); ` +
      `median of per-round ratios: ${ratio.wallPairedMedian}× wall, ${ratio.cpuPairedMedian}× CPU. 1.0 = follows the changed rows; 2.0 = follows the table.` +
      (s.compactions + b.compactions > 0 ? ` ${s.compactions + b.compactions} target run(s) included a compaction (chains longer than maxDeltas 8).` : ''),
    '',
  );
  json['scale'] = { rows, churnRate: churn, changedRowsMedian: { small: median(changed.small), big: median(changed.big) }, small: s, big: b, ratio };
}

async function parallelScenario(): Promise<void> {
  const profile = parseDataProfile(
    {
      clients: PARALLEL_CLIENTS,
      rows: { rawData: parallelRows, entities: PARALLEL_CLIENTS * 100, dataItems: PARALLEL_CLIENTS * 50, formulas: PARALLEL_CLIENTS * 30, formulaAssociations: PARALLEL_CLIENTS * 200 },
      rawDataSkew: 0.3,
      textWidth: 24,
      seed: 3,
    },
    'parallel profile',
  );
  const db = await database(`targets-${PARALLEL_CLIENTS * 5}`, profile);
  const runs = { p4: [] as Measurement[], p1: [] as Measurement[] };
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? ([4, 1] as const) : ([1, 4] as const);
    for (const parallelism of order) runs[parallelism === 4 ? 'p4' : 'p1'].push(await measure(db, { parallelism, incremental: false }));
    log(`parallel round ${round}/${rounds}: parallelism 4 ${secs(runs.p4.at(-1)!)}; parallelism 1 ${secs(runs.p1.at(-1)!)}`);
  }
  const p4 = medians(runs.p4);
  const p1 = medians(runs.p1);
  const speedUp = {
    wallRatioOfMedians: round(p1.wallS / p4.wallS, 3),
    wallPairedMedian: pairedRatio(runs.p1, runs.p4, (m) => m.wallMs),
    cpuP4OverP1: round(p4.cpuS / p1.cpuS, 3),
  };
  output.push(
    `### 3. UpdateAll of ${PARALLEL_CLIENTS * 5} targets (${PARALLEL_CLIENTS} clients × 5 kinds, ${parallelRows.toLocaleString('en-US')} raw-data rows, skew 0.3), full syncs, parallelism 4 vs 1`,
    '',
    TABLE_HEADER,
    tableRow('parallelism 4', p4),
    tableRow('parallelism 1', p1),
    '',
    `Speed-up of parallelism 4 over 1: ${speedUp.wallRatioOfMedians}× wall (ratio of medians), ${speedUp.wallPairedMedian}× (median of per-round ratios); ` +
      `worker CPU at 4 / at 1: ${speedUp.cpuP4OverP1}×. The machine has ${String(json['cores'])} cores shared by the worker, PostgreSQL and s3rver.`,
    '',
  );
  json['parallel'] = { targets: PARALLEL_CLIENTS * 5, rawDataRows: parallelRows, p4, p1, speedUp };
}

function secs(m: Measurement): string {
  const extra = [(m.compactions ?? 0) > 0 ? `${m.compactions} compaction(s)` : '', m.warnings > 0 ? `${m.warnings} warning(s), first: ${m.firstWarning}` : ''].filter(Boolean).join(', ');
  return `${(m.wallMs / 1000).toFixed(2)} s wall / ${(m.cpuMs / 1000).toFixed(2)} CPU-s, ${m.rows} rows${extra ? ` (${extra})` : ''}`;
}

function pct(fraction: number): string {
  return `${(fraction * 100).toPrecision(3)}%`;
}

const scenarioRuns: Record<Scenario, () => Promise<void>> = { incremental: incrementalScenario, scale: scaleScenario, parallel: parallelScenario };
try {
  for (const scenario of scenarios) await scenarioRuns[scenario]();
} finally {
  // A failure to clean up is reported, and must not hide the figures already measured.
  await stack.releaseAll().catch((error: unknown) => log(`cleanup: ${error instanceof Error ? error.message : String(error)}`));
}

console.log(
  [
    `## UpdateAll benchmark: medians of ${rounds} interleaved round(s), serializer ${serializer}, PostgreSQL ${services.postgres.provider}, object store ${objectStore.provider}`,
    '',
    'worker CPU-s = process.cpuUsage() of the child process around updateAll(); it does NOT include PostgreSQL, whose CPU is in the server',
    "processes (column 'PostgreSQL CPU-s': postmaster + reaped backends from /proc, n/a when the server is not local), nor s3rver, which runs",
    'in the benchmark parent (its CPU during the child run). Peak RSS = the child\'s maxRSS; baseline = maxRSS before updateAll (node + tsx + modules).',
    `Machine: ${String(json['cores'])} shared cores; expect tens of percent of noise between runs: compare ratios from one run.`,
    '',
    ...output,
  ].join('\n'),
);
console.log(JSON.stringify(json));
