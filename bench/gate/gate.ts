// The CI performance regression gate. From the repository root:
//
//   npx tsx bench/gate/gate.ts                       # normal mode (CI): exit 0 pass, 1 regression
//   npx tsx bench/gate/gate.ts --quick               # small scale (the gate's own test)
//   npx tsx bench/gate/gate.ts --update-baseline --reason "why"   [--quick]
//   npx tsx bench/gate/gate.ts --report-only --rows 1000000       # figures at another scale, never fails
//
// Flags: --quick, --rounds N (3), --out DIR (reports/gate), --baseline FILE
// (bench/baselines/gate-baseline.json), --update-baseline with --reason TEXT, --report-only,
// --rows N / --parallel-rows N (only with --report-only), --help.
// Exit codes: 0 pass (or baseline written / report only), 1 regression confirmed, 2 bad flags,
// a malformed baseline file or no baseline for the mode, 3 the gate could not measure
// (services, a child failed).
//
// What it does, on services from libs/services (DATABASE_URL / S3_ENDPOINT, else embedded
// PostgreSQL and s3rver), all in this one job:
// 1. diagnostic pass, never timed: promises per row (async_hooks) and serialize calls per row
//    of the streaming, batched and legacy serializers over generated rows, in process; and
//    instructions per row of the encoder and the reader under Valgrind (instruction-counts.ts).
// 2. "sync" group on one client with R raw-data rows (+ small other kinds): one diagnostic
//    child (full streaming sync with async_hooks: end-to-end promises per row), then rounds of
//    churn → incremental → full streaming → full legacy → floors (order of the last three
//    alternates per round); the streaming child runs one unmeasured full sync first (warmUp).
//    Each UpdateAll runs in a child process (bench/harness/update-all-child.ts; the floors in floor-child.ts).
// 3. "parallel" group: C clients × 5 kinds, full syncs at parallelism 4 and 1, alternating.
// 4. memory growth per row of the shipped worker bundle (memory-growth.ts): full syncs of one
//    client at two sizes, each in a fresh worker process, peak − idle RSS.
// Counters are compared with the committed baseline; ratios (medians) with the committed
// thresholds; a failing ratio's group is measured once more (confirming run) and the gate
// fails only if the median of both runs' rounds is over the threshold. Wall times and CPU figures are reported, never gated.
// Writes <out>/benchmark.json (customSmallerIsBetter), <out>/bmf.json (Bencher), <out>/gate.md.
// GATE_INJECT_REGRESSION=<name> injects a regression (bench/harness/regression-injection.ts lists them).
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ReleaseStack } from '@storage-builder/resources';
import { provisionPostgres, provisionServices } from '@storage-builder/services';
import { SERIALIZER_STRATEGIES, type SerializerStrategy } from '@storage-builder/snapshot';
import { applyChurn, migrate, parseDataProfile, seedDatabase, type DataProfile } from '@storage-builder/source-db';
import { median } from '../harness/stats';
import { DEFAULT_BASELINE_PATH, readBaselineFile, writeBaseline } from './baseline-file';
import { measureUpdateAll, type ChildConnection, type MeasuredUpdateAll, type UpdateAllSwitches } from '../harness/measured-child';
import { runFloorChild, TIMING_SHELL, type FloorRunResult } from './floor-protocol';
import { countHotPaths, HOT_PATHS, INSTRUCTION_ROWS, instructionPlatform, valgrindMissing, type HotPath } from './instruction-counts';
import { floorRunSettings } from './floor-settings';
import { measureMemoryGrowth } from './memory-growth';
import { INJECT_VARIABLE, INJECTIONS, injectionFromEnv, type Injection } from '../harness/regression-injection';
import { baselineFrom, fmt, judgeAll, judgementTable, pooledMeasurement, type Group, type Judgement, type Measurement, type ModeBaseline } from './metrics';
import { writeReports } from './report';
import { serializerPass } from './serializer-pass';
import { largeValueCopyText, parseInChunks, SOCKET_CHUNK_BYTES } from '../harness/large-value-parse';

/** 256 socket chunks: a parser that re-searched the unfinished row per chunk would search each character about 128 times. */
const LARGE_VALUE_BYTES = 16 * 2 ** 20;

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXIT = { pass: 0, regression: 1, usage: 2, error: 3 } as const;

class UsageError extends Error {}

interface Scale {
  rows: number;
  parallelClients: number;
  parallelRows: number;
  churnRate: number;
  promiseRows: number;
  /** The two sizes of the one client whose full syncs give the worker bundle's memory growth per row. */
  memoryRowsSmall: number;
  memoryRowsLarge: number;
}

const SCALES: Record<'normal' | 'quick', Scale> = {
  // One client of 1M rows: per-target costs (leases, manifests, S3 requests) would weigh on a
  // smaller one, and the CPU per row is what the worker/floor ratio is about.
  normal: { rows: 1_000_000, parallelClients: 24, parallelRows: 72_000, churnRate: 0.0002, promiseRows: 50_000, memoryRowsSmall: 500_000, memoryRowsLarge: 2_000_000 },
  // Both memory sizes past the first few hundred thousand rows, in which the upload buffers and
  // the heap fill up (peak − idle RSS 10 MiB at 50k rows, 25 at 250k, 29 at 300k, 33 at 1M); a
  // leak of 100 bytes a row adds 67 MiB between them.
  quick: { rows: 30_000, parallelClients: 12, parallelRows: 12_000, churnRate: 0.005, promiseRows: 10_000, memoryRowsSmall: 300_000, memoryRowsLarge: 1_000_000 },
};

interface Options {
  mode: 'normal' | 'quick';
  scale: Scale;
  rounds: number;
  outDir: string;
  baselinePath: string;
  updateBaseline: boolean;
  reason: string | undefined;
  reportOnly: boolean;
  injection: Injection | undefined;
}

const HELP = `usage: npx tsx bench/gate/gate.ts [--quick] [--rounds N] [--out DIR] [--baseline FILE]
       npx tsx bench/gate/gate.ts --update-baseline --reason "why the baseline moves" [--quick]
       npx tsx bench/gate/gate.ts --report-only [--rows N] [--parallel-rows N]
exit: 0 pass, 1 regression (confirmed), 2 bad flags / no baseline, 3 could not measure.
${INJECT_VARIABLE}=${INJECTIONS.join('|')} injects a regression (for the gate's test).`;

function parseOptions(argv: string[]): Options | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: 'boolean', default: false },
        rounds: { type: 'string' },
        out: { type: 'string' },
        baseline: { type: 'string' },
        'update-baseline': { type: 'boolean', default: false },
        reason: { type: 'string' },
        'report-only': { type: 'boolean', default: false },
        rows: { type: 'string' },
        'parallel-rows': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.help) return 'help';
  const positive = (text: string | undefined, flag: string, fallback: number) => {
    if (text === undefined) return fallback;
    const n = Number(text.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${flag} is ${JSON.stringify(text)}: use a positive integer`);
    return n;
  };
  const mode = parsed.quick ? 'quick' : 'normal';
  const updateBaseline = parsed['update-baseline'];
  const reportOnly = parsed['report-only'];
  const reason = parsed.reason?.trim();
  if (updateBaseline && !reason) throw new UsageError('--update-baseline needs --reason "why the baseline moves" (it is recorded in the baseline file)');
  if (!updateBaseline && parsed.reason !== undefined) throw new UsageError('--reason goes with --update-baseline');
  if (updateBaseline && reportOnly) throw new UsageError('--update-baseline and --report-only exclude each other');
  if ((parsed.rows !== undefined || parsed['parallel-rows'] !== undefined) && !reportOnly) {
    throw new UsageError('--rows / --parallel-rows change the scale, so the baseline does not apply: use them with --report-only');
  }
  const base = SCALES[mode];
  const scale = { ...base, rows: positive(parsed.rows, 'rows', base.rows), parallelRows: positive(parsed['parallel-rows'], 'parallel-rows', base.parallelRows) };
  if (scale.rows !== base.rows) scale.promiseRows = Math.min(base.promiseRows, scale.rows);
  let injection: Injection | undefined;
  try {
    injection = injectionFromEnv();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (injection && updateBaseline) throw new UsageError(`refusing to write a baseline with ${INJECT_VARIABLE}=${injection} set`);
  return {
    mode,
    scale,
    rounds: positive(parsed.rounds, 'rounds', 3),
    outDir: path.resolve(parsed.out ?? path.join(REPO_ROOT, 'reports', 'gate')),
    baselinePath: path.resolve(parsed.baseline ?? DEFAULT_BASELINE_PATH),
    updateBaseline,
    reason,
    reportOnly,
    injection,
  };
}

const started = performance.now();
const log = (message: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} gate: ${message}\n`);

const NATIVE_FLOOR_RATIO = 'CPU ratio: worker (streaming) / native floor (psql COPY | gzip -1)';

function floorTools(): string | undefined {
  for (const [tool, install] of [['psql', 'the PostgreSQL client'], ['gzip', 'gzip'], [TIMING_SHELL, 'bash']] as const) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      return `${tool} is not on PATH: the worker/floor ratios are skipped (install ${install} to measure them)`;
    }
  }
  return undefined;
}

interface GateDatabase {
  connection: ChildConnection;
  pool: pg.Pool;
  profile: DataProfile;
}

interface SyncRound {
  incremental: MeasuredUpdateAll;
  /** Round 1 only: an incremental UpdateAll right after the first, with nothing changed. */
  quiet: MeasuredUpdateAll | undefined;
  streaming: MeasuredUpdateAll;
  legacy: MeasuredUpdateAll;
  floor: FloorRunResult | undefined;
  changed: number;
}

class Gate {
  private readonly stack = new ReleaseStack();
  private churnSeed = 1000;
  private sync!: GateDatabase;
  private parallel!: GateDatabase;
  private services!: Awaited<ReturnType<typeof provisionServices>>;
  readonly notes: string[] = [];
  readonly environment: string[] = [];

  constructor(
    private readonly options: Options,
    private readonly floorSkip: string | undefined,
    private readonly instructionSkip: string | undefined,
  ) {}

  async start(): Promise<void> {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        log(`${signal}: stopping services`);
        void this.stack.releaseAll().finally(() => process.exit(130));
      });
    }
    const services = await provisionServices({ label: 'perf-gate' });
    this.stack.push('services', () => services.stop());
    this.services = services;
    for (const line of services.describe()) {
      log(line);
      this.environment.push(line);
    }
    this.environment.push(`node ${process.version}, ${availableParallelism()} cores`, `mode ${this.options.mode}: ${JSON.stringify(this.options.scale)}, ${this.options.rounds} rounds`);
    if (this.options.injection) this.environment.push(`INJECTED REGRESSION: ${INJECT_VARIABLE}=${this.options.injection}`);
    const { scale } = this.options;
    const small = { entities: 1_000, dataItems: 200, formulas: 100, formulaAssociations: 500 };
    this.sync = await this.database(services.postgres.url, services.objectStore, 'sync', parseDataProfile({ clients: 1, rows: { rawData: scale.rows, ...small }, rawDataSkew: 1, textWidth: 24, seed: 1 }, 'sync profile'));
    const c = scale.parallelClients;
    this.parallel = await this.database(
      services.postgres.url,
      services.objectStore,
      'parallel',
      parseDataProfile({ clients: c, rows: { rawData: scale.parallelRows, entities: c * 100, dataItems: c * 50, formulas: c * 30, formulaAssociations: c * 200 }, rawDataSkew: 0.3, textWidth: 24, seed: 3 }, 'parallel profile'),
    );
  }

  async stop(): Promise<void> {
    await this.stack.releaseAll();
  }

  private async database(serverUrl: string, objectStore: { connection: ChildConnection['s3']; bucket: string }, name: string, profile: DataProfile): Promise<GateDatabase> {
    const handle = await provisionPostgres({ provider: 'environment', env: { DATABASE_URL: serverUrl }, label: `perf-gate-${name}` });
    this.stack.push(`database ${name}`, () => handle.stop());
    const pool = new pg.Pool({ connectionString: handle.url, max: 2 });
    this.stack.push(`pool ${name}`, () => pool.end());
    await migrate(pool);
    const seeded = await seedDatabase(pool, profile);
    log(`${name}: seeded ${profile.clients} client(s), ${profile.rows.rawData} raw-data rows in ${(seeded.elapsedMs / 1000).toFixed(1)} s`);
    const db: GateDatabase = { connection: { databaseUrl: handle.url, s3: objectStore.connection, bucket: objectStore.bucket, prefix: `gate-${name}` }, pool, profile };
    const warm = await this.update(db, { serializer: 'streaming', parallelism: 4, incremental: true });
    log(`${name}: initial full UpdateAll (unmeasured): ${warm.targets} targets, ${warm.rows} rows, ${(warm.wallMs / 1000).toFixed(1)} s wall, ${(warm.cpuMs / 1000).toFixed(2)} CPU-s`);
    return db;
  }

  /** One UpdateAll, tried once: a retry would hide a regression. */
  private update(db: GateDatabase, { countPromises = false, warmUp = false, ...switches }: UpdateAllSwitches & { countPromises?: boolean; warmUp?: boolean }): Promise<MeasuredUpdateAll> {
    return measureUpdateAll(db.connection, switches, { maxAttempts: 1, countPromises, warmUp, ...(this.options.injection && { injection: this.options.injection }) });
  }

  private floor(db: GateDatabase): Promise<FloorRunResult> {
    return runFloorChild(floorRunSettings(db.connection));
  }

  /** In-process, never timed: promises and serialize calls per row of each strategy. */
  async diagnosticPass(): Promise<Measurement[]> {
    const out: Measurement[] = [];
    for (const strategy of [...SERIALIZER_STRATEGIES].reverse() as SerializerStrategy[]) {
      const result = await serializerPass(strategy, this.options.scale.promiseRows, 1000, this.options.injection);
      log(`diagnostic ${strategy}${result.ran !== strategy ? ` (ran ${result.ran})` : ''}: ${result.promisesPerRow.toFixed(4)} promises/row, ${result.serializeCallsPerRow.toFixed(5)} serialize calls/row`);
      out.push(
        { name: `promises per row: ${strategy} serializer`, unit: 'promises', kind: 'counter', value: result.promisesPerRow, group: 'diagnostic' },
        { name: `serialize calls per row: ${strategy} serializer`, unit: 'calls', kind: 'counter', value: result.serializeCallsPerRow, group: 'diagnostic' },
      );
    }
    // On the parallel database (many small targets): a third of the sync database's time under the hooks.
    const e2e = await this.update(this.parallel, { serializer: 'streaming', parallelism: 4, incremental: false, countPromises: true });
    log(`diagnostic full streaming sync with async_hooks: ${e2e.promises} promises over ${e2e.rows} rows${e2e.injected ? ` (injected: ${e2e.injected})` : ''}`);
    out.push({ name: 'promises per row: streaming full sync (end to end)', unit: 'promises', kind: 'counter', value: (e2e.promises ?? NaN) / e2e.rows, group: 'diagnostic' });
    if (this.instructionSkip === undefined) {
      const perRow = await countHotPaths(INSTRUCTION_ROWS, (line) => log(`diagnostic ${line}`), this.options.injection);
      const platform = instructionPlatform();
      for (const hotPath of Object.keys(HOT_PATHS) as HotPath[]) out.push({ name: HOT_PATHS[hotPath], unit: 'instructions', kind: 'counter', value: perRow[hotPath], group: 'diagnostic', platform });
    }
    // Parsing must stay linear in a value's size: a row of many chunks is searched once, not once per chunk.
    const parsed = parseInChunks(largeValueCopyText(LARGE_VALUE_BYTES, 1));
    log(`diagnostic COPY parser, one ${LARGE_VALUE_BYTES / 2 ** 20} MiB value in ${SOCKET_CHUNK_BYTES / 1024} KiB chunks: ${parsed.scannedPerChar.toFixed(3)} characters searched per character`);
    out.push({ name: 'characters searched per character: COPY parser, one large value', unit: 'chars', kind: 'counter', value: parsed.scannedPerChar, group: 'diagnostic' });
    return out;
  }

  private async churn(db: GateDatabase): Promise<number> {
    const result = await applyChurn(db.pool, { rate: this.options.scale.churnRate, seed: this.churnSeed++, clientIds: [1], kinds: ['raw-data'] });
    return result.inserted + result.updated + result.deleted;
  }

  async syncGroup(label: string): Promise<Measurement[]> {
    const rounds: SyncRound[] = [];
    for (let round = 1; round <= this.options.rounds; round++) {
      const changed = await this.churn(this.sync);
      const incremental = await this.update(this.sync, { serializer: 'streaming', parallelism: 4, incremental: true });
      const quiet = round === 1 ? await this.update(this.sync, { serializer: 'streaming', parallelism: 4, incremental: true }) : undefined;
      const order = round % 2 === 1 ? (['streaming', 'legacy', 'floor'] as const) : (['floor', 'legacy', 'streaming'] as const);
      const got: Partial<SyncRound> = { incremental, quiet, changed };
      for (const step of order) {
        if (step === 'floor') got.floor = this.floorSkip ? undefined : await this.floor(this.sync);
        // The worker warmed up: the CPU per row of a long-lived process, not of its first run. The
        // legacy port is measured as it ran, in a fresh process (warming it would double the gate's longest step).
        else got[step] = await this.update(this.sync, { serializer: step, parallelism: 4, incremental: false, warmUp: step === 'streaming' });
      }
      const r = got as SyncRound;
      rounds.push(r);
      log(
        `${label} round ${round}/${this.options.rounds}: ${changed} rows changed; incremental ${cpu(r.incremental)}; full streaming ${cpu(r.streaming)}; full legacy ${cpu(r.legacy)}` +
          (r.floor
            ? `; native floor ${((r.floor.native.psqlCpuMs + r.floor.native.gzipCpuMs) / 1000).toFixed(2)} CPU-s (gzip ${(r.floor.native.gzipCpuMs / 1000).toFixed(2)}); node floor ${((r.floor.psqlCpuMs + r.floor.nodeCpuMs) / 1000).toFixed(2)} CPU-s (psql ${(r.floor.psqlCpuMs / 1000).toFixed(2)})`
            : ''),
      );
    }
    const first = rounds[0]!;
    if (first.changed > 0 && first.incremental.published === 0) {
      throw new Error(`${first.changed} rows changed, but the incremental sync published no target: the per-target counts of the incremental path cannot be taken`);
    }
    const perMillion = (run: MeasuredUpdateAll) => (run.cpuMs / 1000) * (1e6 / run.rows);
    const floorCpu = (f: FloorRunResult) => (f.psqlCpuMs + f.nodeCpuMs) / 1000;
    const nativeFloorCpu = (f: FloorRunResult) => (f.native.psqlCpuMs + f.native.gzipCpuMs) / 1000;
    const m = (name: string, unit: string, kind: Measurement['kind'], samples: number[], group: Group = 'sync'): Measurement => ({ name, unit, kind, value: median(samples), group, samples });
    const streamingCpu = rounds.map((r) => r.streaming.cpuMs);
    const out: Measurement[] = [
      m('CPU ratio: streaming / legacy serializer (full sync)', 'x', 'ratio', rounds.map((r) => r.streaming.cpuMs / r.legacy.cpuMs)),
      m('CPU ratio: incremental / full (streaming)', 'x', 'ratio', rounds.map((r) => r.incremental.cpuMs / r.streaming.cpuMs)),
    ];
    if (rounds.every((r) => r.floor)) {
      out.push(
        m(NATIVE_FLOOR_RATIO, 'x', 'ratio', rounds.map((r) => r.streaming.cpuMs / 1000 / nativeFloorCpu(r.floor!))),
        m('CPU ratio: worker (streaming) / node floor (psql COPY, zlib, one PUT)', 'x', 'report', rounds.map((r) => r.streaming.cpuMs / 1000 / floorCpu(r.floor!))),
      );
    }
    out.push(
      { name: 'serialize calls per row: streaming full sync (end to end)', unit: 'calls', kind: 'counter', value: first.streaming.serializeCalls / first.streaming.rows, group: 'sync' },
      { name: 'bytes per row: streaming full sync', unit: 'bytes', kind: 'counter', value: first.streaming.bytes / first.streaming.rows, group: 'sync' },
      // Per target that published: the run's own queries (what the run with nothing changed made) set apart.
      ...(first.incremental.published === 0
        ? []
        : ([
            { name: 'DB round trips per published target: incremental sync', unit: 'queries', kind: 'counter', value: (first.incremental.dbQueries - first.quiet!.dbQueries) / first.incremental.published, group: 'sync' },
            { name: 'S3 requests per published target: incremental sync', unit: 'requests', kind: 'counter', value: total(first.incremental.s3Requests) / first.incremental.published, group: 'sync' },
          ] satisfies Measurement[])),
      // Nothing changed: one change check for the run, no request to the store.
      { name: 'DB round trips per run: incremental sync, nothing changed', unit: 'queries', kind: 'counter', value: first.quiet!.dbQueries, group: 'sync' },
      { name: 'S3 requests per target: incremental sync, nothing changed', unit: 'requests', kind: 'counter', value: total(first.quiet!.s3Requests) / first.quiet!.targets, group: 'sync' },
      m(`peak RSS: full streaming sync of ${this.sync.profile.rows.rawData} rows`, 'MiB', 'counter', rounds.map((r) => r.streaming.peakRssKib / 1024)),
      m('child baseline RSS before updateAll (node + tsx + modules)', 'MiB', 'report', rounds.map((r) => r.streaming.baselineRssKib / 1024)),
      m('child start-up until updateAll', 's', 'report', rounds.map((r) => r.streaming.startupMs / 1000)),
      m('wall: full sync streaming', 's', 'report', rounds.map((r) => r.streaming.wallMs / 1000)),
      m('wall: full sync legacy', 's', 'report', rounds.map((r) => r.legacy.wallMs / 1000)),
      m('wall: incremental sync', 's', 'report', rounds.map((r) => r.incremental.wallMs / 1000)),
      m('worker CPU per 1M rows: streaming', 'CPU-s', 'report', rounds.map((r) => perMillion(r.streaming))),
      m('worker CPU per 1M rows: legacy', 'CPU-s', 'report', rounds.map((r) => perMillion(r.legacy))),
      m('worker CPU: full sync streaming', 'CPU-s', 'report', streamingCpu.map((x) => x / 1000)),
      m('worker CPU: incremental sync', 'CPU-s', 'report', rounds.map((r) => r.incremental.cpuMs / 1000)),
    );
    if (rounds.every((r) => r.floor)) {
      out.push(
        m('native floor CPU per 1M rows (psql COPY | gzip -1)', 'CPU-s', 'report', rounds.map((r) => nativeFloorCpu(r.floor!) * (1e6 / r.floor!.copyRows))),
        m('native floor CPU per 1M rows: gzip -1 alone', 'CPU-s', 'report', rounds.map((r) => (r.floor!.native.gzipCpuMs / 1000) * (1e6 / r.floor!.copyRows))),
        m('wall: node floor (psql COPY, zlib, one PUT)', 's', 'report', rounds.map((r) => r.floor!.wallMs / 1000)),
        m('node floor CPU per 1M rows (psql, zlib, PUT)', 'CPU-s', 'report', rounds.map((r) => floorCpu(r.floor!) * (1e6 / r.floor!.copyRows))),
        m('floor CPU per 1M rows: psql alone', 'CPU-s', 'report', rounds.map((r) => (r.floor!.psqlCpuMs / 1000) * (1e6 / r.floor!.copyRows))),
        m('bytes per row: native floor (gzip -1 of the COPY text)', 'bytes', 'report', rounds.map((r) => r.floor!.native.compressedBytes / r.floor!.copyRows)),
      );
      const f = first.floor!;
      if (f.copyRows !== first.streaming.rows) this.notes.push(`floor copied ${f.copyRows} rows, the full sync read ${first.streaming.rows}`);
    }
    return out;
  }

  async parallelGroup(label: string): Promise<Measurement[]> {
    const p4: MeasuredUpdateAll[] = [];
    const p1: MeasuredUpdateAll[] = [];
    for (let round = 1; round <= this.options.rounds; round++) {
      for (const parallelism of round % 2 === 1 ? [4, 1] : [1, 4]) {
        (parallelism === 4 ? p4 : p1).push(await this.update(this.parallel, { serializer: 'streaming', parallelism, incremental: false }));
      }
      log(`${label} round ${round}/${this.options.rounds}: parallelism 4 ${cpu(p4.at(-1)!)}; parallelism 1 ${cpu(p1.at(-1)!)}`);
    }
    const first = p1[0]!;
    return [
      { name: 'wall ratio: parallelism 4 / parallelism 1 (full sync)', unit: 'x', kind: 'ratio', group: 'parallel', value: median(p4.map((r, i) => r.wallMs / p1[i]!.wallMs)), samples: p4.map((r, i) => r.wallMs / p1[i]!.wallMs) },
      { name: 'DB round trips per target: full sync', unit: 'queries', kind: 'counter', group: 'parallel', value: first.dbQueries / first.targets },
      { name: 'S3 requests per target: full sync', unit: 'requests', kind: 'counter', group: 'parallel', value: total(first.s3Requests) / first.targets },
      { name: `wall: full sync of ${first.targets} targets, parallelism 4`, unit: 's', kind: 'report', group: 'parallel', value: median(p4.map((r) => r.wallMs / 1000)), samples: p4.map((r) => r.wallMs / 1000) },
      { name: `wall: full sync of ${first.targets} targets, parallelism 1`, unit: 's', kind: 'report', group: 'parallel', value: median(p1.map((r) => r.wallMs / 1000)), samples: p1.map((r) => r.wallMs / 1000) },
    ];
  }

  /** The shipped bundle's peak RSS growth per row (memory-growth.ts); never re-measured: it is a counter. */
  memoryGroup(): Promise<Measurement[]> {
    return measureMemoryGrowth({
      rows: [this.options.scale.memoryRowsSmall, this.options.scale.memoryRowsLarge],
      runs: this.options.rounds,
      serverUrl: this.services.postgres.url,
      objectStore: this.services.objectStore,
      stack: this.stack,
      injection: this.options.injection,
      log,
    });
  }
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const cpu = (r: MeasuredUpdateAll) => `${(r.wallMs / 1000).toFixed(2)} s / ${(r.cpuMs / 1000).toFixed(2)} CPU-s, ${r.rows} rows${r.injected ? ` [injected: ${r.injected}]` : ''}`;

async function main(): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`gate: ${error.message}\n${HELP}`);
    return EXIT.usage;
  }
  if (options === 'help') {
    console.log(HELP);
    return EXIT.pass;
  }
  let baseline: ModeBaseline | undefined;
  if (!options.reportOnly) {
    let file;
    try {
      // --update-baseline reads the file again to keep its tolerances: a bad file stops it before minutes of measuring.
      file = readBaselineFile(options.baselinePath);
    } catch (error) {
      console.error(`gate: ${error instanceof Error ? error.message : String(error)}`);
      return EXIT.usage;
    }
    if (!options.updateBaseline) {
      baseline = file?.modes[options.mode];
      if (!baseline) {
        console.error(`gate: no baseline for mode "${options.mode}" in ${options.baselinePath}: write one with --update-baseline --reason "..."${options.mode === 'quick' ? ' --quick' : ''}`);
        return EXIT.usage;
      }
      const want = JSON.stringify(options.scale);
      if (JSON.stringify(baseline.scale) !== want) {
        console.error(`gate: the baseline of mode "${options.mode}" was measured at ${JSON.stringify(baseline.scale)}, this gate runs at ${want}: update the baseline`);
        return EXIT.usage;
      }
    }
  }

  const floorSkip = floorTools();
  const instructionSkip = valgrindMissing();
  const gate = new Gate(options, floorSkip, instructionSkip);
  for (const skip of [floorSkip, instructionSkip]) {
    if (!skip) continue;
    log(skip);
    gate.notes.push(skip);
  }
  let measured: Measurement[];
  const skipped = new Map<string, string>();
  if (floorSkip) skipped.set(NATIVE_FLOOR_RATIO, floorSkip);
  let judgements: Judgement[] = [];
  try {
    await gate.start();
    measured = [...(await gate.diagnosticPass()), ...(await gate.syncGroup('sync')), ...(await gate.parallelGroup('parallel')), ...(await gate.memoryGroup())];
    if (baseline) {
      judgements = judgeAll(baseline, measured, skipped);
      const failingGroups = new Set(judgements.filter((j) => j.verdict === 'FAIL' && j.kind === 'ratio').map((j) => j.group));
      if (failingGroups.size > 0) {
        const failing = judgements.filter((j) => j.verdict === 'FAIL' && j.kind === 'ratio');
        log(`ratio(s) over threshold: ${failing.map((j) => `${j.name} ${fmt(j.now)} > ${j.allowed}`).join('; ')}; confirming run of group(s) ${[...failingGroups].join(', ')}`);
        const again: Measurement[] = [];
        if (failingGroups.has('sync')) again.push(...(await gate.syncGroup('confirming sync')));
        if (failingGroups.has('parallel')) again.push(...(await gate.parallelGroup('confirming parallel')));
        // A failing ratio is judged on the median of both runs' rounds together.
        const firstByName = new Map(measured.map((m) => [m.name, m]));
        const pooled = again.map((m) => (m.kind === 'ratio' && firstByName.has(m.name) ? pooledMeasurement(firstByName.get(m.name)!, m) : m));
        const confirmed = judgeAll(baseline, pooled, skipped);
        const confirmedByName = new Map(confirmed.map((j) => [j.name, j]));
        judgements = judgements.map((j) => {
          const both = confirmedByName.get(j.name);
          if (j.kind !== 'ratio' || j.verdict !== 'FAIL' || !both) return j;
          return { ...both, firstRun: j.now, note: both.verdict === 'FAIL' ? 'confirmed: the median of both runs is over the threshold' : 'first run over threshold; the median of both runs passes' };
        });
        gate.notes.push(`confirming run of ${[...failingGroups].join(', ')}: ${failing.map((j) => j.name).join('; ')}`);
        const againByName = new Map(pooled.map((m) => [m.name, m]));
        measured = measured.map((m) => (m.kind === 'ratio' && againByName.has(m.name) && failing.some((j) => j.name === m.name) ? againByName.get(m.name)! : m));
      }
    }
  } catch (error) {
    console.error(`gate: could not measure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await gate.stop().catch((stopError: unknown) => log(`cleanup: ${String(stopError)}`));
    return EXIT.error;
  }
  await gate.stop().catch((error: unknown) => log(`cleanup: ${error instanceof Error ? error.message : String(error)}`));

  const elapsedSeconds = (performance.now() - started) / 1000;
  measured.push({ name: 'wall: whole gate', unit: 's', kind: 'report', group: 'diagnostic', value: elapsedSeconds });
  let verdict: 'pass' | 'FAIL' | 'baseline updated' | 'report only';
  if (options.updateBaseline) {
    const previous = readBaselineFile(options.baselinePath)?.modes[options.mode];
    const next = baselineFrom(measured, { ...options.scale }, previous);
    const update = writeBaseline(options.baselinePath, options.mode, next, options.reason!, REPO_ROOT);
    judgements = judgeAll(next, measured, skipped);
    verdict = 'baseline updated';
    console.log(`gate: wrote mode "${options.mode}" of ${options.baselinePath} (commit ${update.commit}${update.dirty ? ', uncommitted changes' : ''}; reason: ${update.reason})`);
  } else if (options.reportOnly) {
    verdict = 'report only';
  } else {
    verdict = judgements.some((j) => j.verdict === 'FAIL') ? 'FAIL' : 'pass';
  }
  const files = writeReports(options.outDir, { mode: options.mode, verdict, judgements, measured, notes: gate.notes, environment: gate.environment, elapsedSeconds });

  const reported = measured.filter((m) => m.kind === 'report');
  console.log(`\nreported, never gated (medians; samples in brackets):`);
  for (const m of reported) console.log(`  ${m.name}: ${fmt(m.value)} ${m.unit}${m.samples && m.samples.length > 1 ? ` [${m.samples.map((s) => fmt(s)).join(', ')}]` : ''}`);
  if (options.reportOnly) {
    console.log('\nmeasured (report only, nothing compared):');
    for (const m of measured.filter((x) => x.kind !== 'report')) console.log(`  ${m.name}: ${fmt(m.value)} ${m.unit}`);
  } else {
    console.log(`\n${judgementTable(judgements)}`);
  }
  for (const note of gate.notes) console.log(`note: ${note}`);
  console.log(`\nwrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
  console.log(`gate ${options.mode}: ${verdict.toUpperCase()} in ${elapsedSeconds.toFixed(0)} s${options.injection ? ` (injected regression: ${options.injection})` : ''}`);
  if (verdict === 'FAIL') {
    console.log(`\nFAILED (metric | baseline | now | allowed | verdict):\n${judgementTable(judgements.filter((j) => j.verdict === 'FAIL'))}`);
    return EXIT.regression;
  }
  return EXIT.pass;
}

// process.exit, not process.exitCode: an exit hook among the services' dependencies (embedded
// PostgreSQL's) ends the process with status 0 and would swallow the gate's exit code.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`gate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(EXIT.error);
  },
);
