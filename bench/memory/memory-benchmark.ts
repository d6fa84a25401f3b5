// Peak RSS of the real worker process during a full sync, at several scales, and a run under
// a hard memory limit. Not a test: it asserts nothing and prints figures.
//
//   npm run bench:memory            # = npm run build:worker && tsx bench/memory/memory-benchmark.ts
//   npx tsx bench/memory/memory-benchmark.ts --rows 1000000,10000000 --repeats 3 --limit-mib 256
//        [--variant image --variant bundle --variant tsx --variant "bundle:--max-semi-space-size=2"] [--parallelism 4]
//        [--compaction-deltas 50] [--out reports/memory]
//
// Data: per scale, a fresh database (DATABASE_URL's server, else a container or embedded
// PostgreSQL; dropped afterwards) with one client holding all N raw-data rows plus 1,800
// rows of the other kinds: the largest single target, the worst case for the upload's
// buffers. Object store: S3_ENDPOINT, else LocalStack or the embedded s3rver (in this
// process, so its CPU is not the worker's).
//
// Each run: the worker's main entry point as the image runs it (variant `image`: the bundle
// apps/worker/dist/main.mjs with the Dockerfile CMD's node flags; the defaults are `image`
// and `tsx`), the bundle without flags (`bundle`) or through tsx (`tsx`), INCREMENTAL=false,
// PARALLELISM 4, its own S3 prefix; one UpdateAll through its HTTP API. Peak RSS = VmHWM of
// /proc/<pid>/status after the run; CPU = the worker's utime + stime during the run. Variants
// alternate within each repeat (A B, then B A); medians are reported. With --limit-mib M, one more
// run of the first variant per scale inside a cgroup with memory M MiB (runSandboxed; needs
// root and cgroups): outcome, OOM kills, and the cgroup's peak usage (page cache included).
//
// Compaction (--compaction-deltas D, 0 skips it): per scale, client 1's raw-data snapshot is
// built as a base and D deltas in this process (bench/memory/delta-chain.ts), one more change is
// left in the source, and the first variant's worker runs one incremental UpdateAll: it appends
// delta D+1 and compacts the chain into a new base (more than 8 deltas). Measured as above, and
// once more from a fresh chain under the hard limit.
//
// Writes reports/memory/memory.md, memory.json (every sample) and benchmark.json
// (github-action-benchmark customSmallerIsBetter).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { provisionPostgres, provisionServices } from '@storage-builder/services';
import { migrate, parseDataProfile, seedDatabase } from '@storage-builder/source-db';
import { median } from '../harness/stats';
import { buildDeltaChain, chainLength } from './delta-chain';
import { measureFullSync, measureSandboxedFullSync, type SandboxedMeasurement, type SyncMeasurement } from './worker-session';
import { parseVariant, REPO_ROOT, workerEnv, type WorkerTarget } from './worker-variant';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000,10000000' },
    repeats: { type: 'string', default: '3' },
    variant: { type: 'string', multiple: true, default: ['image', 'tsx'] },
    'limit-mib': { type: 'string', default: '256' },
    parallelism: { type: 'string', default: '4' },
    'compaction-deltas': { type: 'string', default: '50' },
    out: { type: 'string', default: path.join(REPO_ROOT, 'reports', 'memory') },
  },
});

function integer(text: string, flag: string, min: number): number {
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`--${flag} is ${JSON.stringify(text)}: use an integer ≥ ${min}`);
  return value;
}
const scales = values.rows.split(',').map((text) => integer(text, 'rows', 1));
const repeats = integer(values.repeats, 'repeats', 1);
const limitMiB = integer(values['limit-mib'], 'limit-mib', 0);
const parallelism = integer(values.parallelism, 'parallelism', 1);
const compactionDeltas = integer(values['compaction-deltas'], 'compaction-deltas', 0);
const variants = values.variant.map(parseVariant);
const outDir = path.resolve(values.out);

const log = (message: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} memory: ${message}\n`);
const mib = (kib: number) => kib / 1024;
const f1 = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(1));
const f2 = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(2));

type HardLimitRun = Omit<SandboxedMeasurement, 'sandbox'> & { outcome: string; oomKills: number; cgroupPeakMiB: number | undefined; probeMaxRssMiB: number | undefined; heapLimitMiB: number | undefined };

interface CompactionResult {
  chainDeltas: number;
  run: SyncMeasurement;
  /** Deltas in the chain after the run: 0 when it compacted. */
  deltasAfter: number | undefined;
  sandboxed: (HardLimitRun & { deltasAfter: number | undefined }) | undefined;
}

interface ScaleResult {
  rows: number;
  seedSeconds: number;
  runs: SyncMeasurement[];
  sandboxed: HardLimitRun | undefined;
  compaction: CompactionResult | undefined;
}

/** A sandboxed run's figures, from what runSandboxed reports. */
function hardLimitRun({ sandbox, ...measured }: SandboxedMeasurement): HardLimitRun {
  return {
    ...measured,
    outcome: sandbox.outcome,
    oomKills: sandbox.memory.oomKills,
    cgroupPeakMiB: sandbox.memory.peakBytes === undefined ? undefined : sandbox.memory.peakBytes / 2 ** 20,
    probeMaxRssMiB: sandbox.probe ? sandbox.probe.maxRssBytes / 2 ** 20 : undefined,
    heapLimitMiB: sandbox.probe ? sandbox.probe.heapSizeLimitBytes / 2 ** 20 : undefined,
  };
}

const started = performance.now();
await using services = await provisionServices({ label: 'memory', postgres: false });
for (const line of services.describe()) log(line);
const store = services.objectStore;
let runNumber = 0;
const targetFor = (databaseUrl: string): WorkerTarget => ({ databaseUrl, s3: store.connection, bucket: store.bucket, prefix: `memory-run-${++runNumber}` });

const results: ScaleResult[] = [];
for (const rows of scales) {
  await using postgres = await provisionPostgres({ label: 'memory' });
  const pool = new pg.Pool({ connectionString: postgres.url, max: 2 });
  let seedSeconds: number;
  try {
    await migrate(pool);
    const profile = parseDataProfile({ clients: 1, rows: { rawData: rows, entities: 1_000, dataItems: 200, formulas: 100, formulaAssociations: 500 }, rawDataSkew: 1, textWidth: 24, seed: 1 }, 'memory profile');
    seedSeconds = (await seedDatabase(pool, profile)).elapsedMs / 1000;
    await pool.query('VACUUM ANALYZE');
  } finally {
    await pool.end();
  }
  log(`${rows.toLocaleString('en-US')} raw-data rows seeded in ${seedSeconds.toFixed(1)} s`);
  const result: ScaleResult = { rows, seedSeconds, runs: [], sandboxed: undefined, compaction: undefined };
  for (let repeat = 0; repeat < repeats; repeat++) {
    // A B, then B A: neither variant always runs first after the seed.
    const order = repeat % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) {
      const run = await measureFullSync(variant, workerEnv(targetFor(postgres.url), parallelism));
      result.runs.push(run);
      log(`${rows} rows, ${variant.name}: peak RSS ${f1(mib(run.peakRssKib))} MiB (idle ${f1(mib(run.idleRssKib))}), ${f2(run.syncCpuSeconds)} CPU-s, ${f1(run.wallSeconds)} s wall, ${run.gcRuns} GCs`);
    }
  }
  if (limitMiB > 0) {
    const variant = variants[0]!;
    log(`${rows} rows, ${variant.name} under a ${limitMiB} MiB hard memory limit`);
    result.sandboxed = hardLimitRun(await measureSandboxedFullSync(variant, workerEnv(targetFor(postgres.url), parallelism), limitMiB));
    log(`hard limit: ${describeHardLimitRun(result.sandboxed)}`);
  }
  if (compactionDeltas > 0) result.compaction = await measureCompaction(postgres.url, rows);
  results.push(result);
}

function describeHardLimitRun(run: HardLimitRun): string {
  return `${run.sync ? `run ${run.sync.status}` : `no run: ${run.error}`}, outcome ${run.outcome}, OOM kills ${run.oomKills}, cgroup peak ${f1(run.cgroupPeakMiB)} MiB`;
}

/** The first variant's worker compacting a chain of `compactionDeltas` deltas, then again under the hard limit. */
async function measureCompaction(databaseUrl: string, rows: number): Promise<CompactionResult> {
  const variant = variants[0]!;
  const prepared = async () => {
    const target = targetFor(databaseUrl);
    const built = performance.now();
    const chain = await buildDeltaChain(target, rows, compactionDeltas);
    log(`${rows} rows: base + ${chain.deltas} deltas (${chain.changedRows} changed rows) built in ${((performance.now() - built) / 1000).toFixed(1)} s`);
    // Incremental: the worker appends one delta, and the chain, past 8 deltas, is compacted.
    return { target, env: { ...workerEnv(target, parallelism), INCREMENTAL: 'true' } };
  };
  const first = await prepared();
  const run = await measureFullSync(variant, first.env);
  const deltasAfter = await chainLength(first.target);
  log(`${rows} rows, compaction, ${variant.name}: peak RSS ${f1(mib(run.peakRssKib))} MiB (idle ${f1(mib(run.idleRssKib))}), ${f2(run.syncCpuSeconds)} CPU-s, ${f1(run.wallSeconds)} s wall, deltas after ${deltasAfter}`);
  let sandboxed: CompactionResult['sandboxed'];
  if (limitMiB > 0) {
    const second = await prepared();
    sandboxed = { ...hardLimitRun(await measureSandboxedFullSync(variant, second.env, limitMiB)), deltasAfter: await chainLength(second.target) };
    log(`compaction under a ${limitMiB} MiB hard limit: ${describeHardLimitRun(sandboxed)}, deltas after ${sandboxed.deltasAfter}`);
  }
  return { chainDeltas: compactionDeltas, run, deltasAfter, sandboxed };
}

// --- report ---------------------------------------------------------------------------
const byVariant = (result: ScaleResult, name: string) => result.runs.filter((r) => r.variant === name);
const medianOf = (runs: SyncMeasurement[], pick: (r: SyncMeasurement) => number) => median(runs.map(pick));
const lines: string[] = [
  '# Worker memory: full sync of one client',
  '',
  `- ${new Date().toISOString()}, node ${process.version}, ${repeats} run(s) per variant and scale (alternating), medians; PARALLELISM ${parallelism}, INCREMENTAL=false`,
  `- peak RSS = VmHWM of the worker process after the run; CPU = the worker's utime + stime during the run (start-up excluded)`,
  ...services.describe().map((line) => `- ${line}`),
  '',
  '| raw-data rows | variant | peak RSS MiB | idle RSS MiB (listening) | sync CPU-s | CPU-s per 1M rows | wall s | GC runs | heap limit MiB | output bytes |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
const benchmark: { name: string; unit: string; value: number; extra?: string }[] = [];
for (const result of results) {
  for (const variant of variants) {
    const runs = byVariant(result, variant.name);
    const peak = medianOf(runs, (r) => mib(r.peakRssKib));
    const perMillion = medianOf(runs, (r) => r.syncCpuSeconds / (r.rows / 1e6));
    lines.push(
      `| ${result.rows.toLocaleString('en-US')} | ${variant.name} | ${f1(peak)} (${runs.map((r) => f1(mib(r.peakRssKib))).join(', ')}) | ${f1(medianOf(runs, (r) => mib(r.idleRssKib)))} | ${f2(medianOf(runs, (r) => r.syncCpuSeconds))} | ${f2(perMillion)} | ${f1(medianOf(runs, (r) => r.wallSeconds))} | ${medianOf(runs, (r) => r.gcRuns ?? NaN)} | ${f1(runs[0]?.heapLimitMiB)} | ${runs[0]?.bytes ?? 'n/a'} |`,
    );
    benchmark.push({ name: `worker peak RSS, full sync of ${result.rows} rows (${variant.name})`, unit: 'MiB', value: peak, extra: runs.map((r) => f1(mib(r.peakRssKib))).join(', ') });
    benchmark.push({ name: `worker CPU per 1M rows, full sync of ${result.rows} rows (${variant.name})`, unit: 'CPU-s', value: perMillion });
  }
}
if (results.length > 1) {
  const [smallest, largest] = [results[0]!, results.at(-1)!];
  lines.push('', `## Growth from ${smallest.rows.toLocaleString('en-US')} to ${largest.rows.toLocaleString('en-US')} rows (target ≤ 10% peak RSS)`, '');
  lines.push('| variant | peak RSS growth | CPU-s per 1M rows between the two scales (marginal) |', '|---|---|---|');
  for (const variant of variants) {
    const small = byVariant(smallest, variant.name);
    const large = byVariant(largest, variant.name);
    const growth = (medianOf(large, (r) => r.peakRssKib) / medianOf(small, (r) => r.peakRssKib) - 1) * 100;
    const marginal = (medianOf(large, (r) => r.syncCpuSeconds) - medianOf(small, (r) => r.syncCpuSeconds)) / ((largest.rows - smallest.rows) / 1e6);
    lines.push(`| ${variant.name} | ${growth >= 0 ? '+' : ''}${f1(growth)}% | ${f2(marginal)} |`);
    benchmark.push({ name: `worker peak RSS growth ${smallest.rows} → ${largest.rows} rows (${variant.name})`, unit: '%', value: growth });
  }
}
if (limitMiB > 0) {
  lines.push('', `## ${variants[0]!.name} under a ${limitMiB} MiB hard memory limit (cgroup, one vCPU weight)`, '');
  lines.push('| raw-data rows | run | outcome | OOM kills | peak RSS MiB (VmHWM) | cgroup peak MiB (page cache included) | heap limit MiB | sync CPU-s | GC runs | wall s |', '|---|---|---|---|---|---|---|---|---|---|');
  for (const result of results) {
    const s = result.sandboxed!;
    lines.push(`| ${result.rows.toLocaleString('en-US')} | ${s.sync ? s.sync.status : `failed: ${(s.error ?? '').split('\n')[0]}`} | ${s.outcome} (stopped by SIGTERM after the run) | ${s.oomKills} | ${f1(s.sync ? mib(s.sync.peakRssKib) : s.probeMaxRssMiB)} | ${f1(s.cgroupPeakMiB)} | ${f1(s.heapLimitMiB)} | ${f2(s.sync?.syncCpuSeconds)} | ${s.sync?.gcRuns ?? 'n/a'} | ${f1(s.sync?.wallSeconds)} |`);
  }
}
if (compactionDeltas > 0) {
  lines.push(
    '',
    `## Compaction of client 1's raw-data: a base and ${compactionDeltas} deltas, one incremental run of the ${variants[0]!.name} worker (appends a delta, then compacts)`,
    '',
    '| raw-data rows | run | peak RSS MiB | idle RSS MiB | run CPU-s | wall s | deltas after (0 = compacted) | OOM kills | cgroup peak MiB |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const result of results) {
    const c = result.compaction!;
    lines.push(`| ${result.rows.toLocaleString('en-US')} | ${c.run.status} | ${f1(mib(c.run.peakRssKib))} | ${f1(mib(c.run.idleRssKib))} | ${f2(c.run.syncCpuSeconds)} | ${f1(c.run.wallSeconds)} | ${c.deltasAfter ?? 'n/a'} | - | - |`);
    benchmark.push({ name: `worker peak RSS, compaction of ${result.rows} rows + ${compactionDeltas} deltas (${variants[0]!.name})`, unit: 'MiB', value: mib(c.run.peakRssKib) });
    const s = c.sandboxed;
    if (s) {
      lines.push(
        `| ${result.rows.toLocaleString('en-US')} | under ${limitMiB} MiB: ${s.sync ? s.sync.status : `failed: ${(s.error ?? '').split('\n')[0]}`} | ${f1(s.sync ? mib(s.sync.peakRssKib) : s.probeMaxRssMiB)} | ${f1(s.sync ? mib(s.sync.idleRssKib) : undefined)} | ${f2(s.sync?.syncCpuSeconds)} | ${f1(s.sync?.wallSeconds)} | ${s.deltasAfter ?? 'n/a'} | ${s.oomKills} | ${f1(s.cgroupPeakMiB)} |`,
      );
    }
  }
}
lines.push('', `benchmark took ${((performance.now() - started) / 1000).toFixed(0)} s`);

mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'memory.md'), `${lines.join('\n')}\n`);
writeFileSync(path.join(outDir, 'memory.json'), `${JSON.stringify({ scales: results, variants, parallelism, node: process.version }, null, 2)}\n`);
writeFileSync(path.join(outDir, 'benchmark.json'), `${JSON.stringify(benchmark, null, 2)}\n`);
console.log(lines.join('\n'));
console.log(`\nreports: ${path.join(outDir, 'memory.md')}, memory.json, benchmark.json`);
const failed = (run: HardLimitRun | undefined) => run !== undefined && (run.sync === undefined || run.oomKills > 0);
const notCompacted = (result: ScaleResult) => result.compaction !== undefined && (result.compaction.deltasAfter !== 0 || (result.compaction.sandboxed !== undefined && result.compaction.sandboxed.deltasAfter !== 0));
const failedHardLimit = results.some((r) => failed(r.sandboxed) || failed(r.compaction?.sandboxed) || notCompacted(r));
process.exitCode = failedHardLimit ? 1 : 0;
