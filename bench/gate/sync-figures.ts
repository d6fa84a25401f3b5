// The figures the issue asks for, at a chosen scale (not gated, not part of CI):
// worker CPU per 1M rows for each serializer strategy and for the floor, the worker/floor
// ratio, peak RSS of a full sync, and whether a full sync completes under a hard memory limit
// (a real cgroup, via libs/sandbox runSandboxed: { container: { cpu: 1024, memory: 256 } }).
//
//   npx tsx bench/gate/sync-figures.ts --rows 1000000 [--repeats 1] [--strategies streaming,batched,legacy]
//        [--limit-mib 256] [--cpu-prof DIR] [--skip-floor] [--warm-up]
//
// One client with N raw-data rows (+ the gate's small other kinds), full syncs (incremental:
// false, parallelism 4), each in a child process of its own (bench/harness/update-all-child.ts; the floor in floor-child.ts). --cpu-prof DIR
// adds one streaming run under `node --cpu-prof` and prints the top self-time functions.
// --warm-up measures each child's second full sync (the CPU of a long-lived worker, JIT warm).
// Needs root for the cgroup run (--limit-mib 0 skips it).
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { runSandboxed } from '@storage-builder/sandbox';
import { provisionServices } from '@storage-builder/services';
import { SERIALIZER_STRATEGIES, type SerializerStrategy } from '@storage-builder/snapshot';
import { migrate, parseDataProfile, seedDatabase } from '@storage-builder/source-db';
import { summarizeCpuProfile } from '../memory/profile-summary';
import { floorRunSettings } from './floor-settings';
import { childCommand, measureUpdateAll, parseResultLine, UPDATE_ALL_CHILD, updateAllChildEnv, type ChildConnection, type MeasuredUpdateAll, type UpdateAllSwitches } from '../harness/measured-child';
import { FLOOR_DEFLATE_LEVEL, runFloorChild } from './floor-protocol';
import { median } from '../harness/stats';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    repeats: { type: 'string', default: '1' },
    strategies: { type: 'string', default: SERIALIZER_STRATEGIES.join(',') },
    'limit-mib': { type: 'string', default: '256' },
    'cpu-prof': { type: 'string' },
    'skip-floor': { type: 'boolean', default: false },
    'warm-up': { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows.replace(/_/g, ''));
const repeats = Number(values.repeats);
const limitMiB = Number(values['limit-mib']);
const strategies = values.strategies.split(',') as SerializerStrategy[];
if (!Number.isSafeInteger(rows) || rows < 1 || !Number.isSafeInteger(repeats) || repeats < 1 || !Number.isSafeInteger(limitMiB) || limitMiB < 0) {
  console.error('--rows, --repeats: positive integers; --limit-mib: 0 (skip) or MiB');
  process.exit(2);
}
for (const s of strategies) {
  if (!(SERIALIZER_STRATEGIES as readonly string[]).includes(s)) {
    console.error(`--strategies: ${s} is not one of ${SERIALIZER_STRATEGIES.join(', ')}`);
    process.exit(2);
  }
}

const log = (message: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} figures: ${message}\n`);
const mib = (kib: number) => (kib / 1024).toFixed(1);

await using services = await provisionServices({ label: 'perf-figures' });
for (const line of services.describe()) log(line);
const pool = new pg.Pool({ connectionString: services.postgres.url, max: 2 });
try {
  await migrate(pool);
  const seeded = await seedDatabase(
    pool,
    parseDataProfile({ clients: 1, rows: { rawData: rows, entities: 1_000, dataItems: 200, formulas: 100, formulaAssociations: 500 }, rawDataSkew: 1, textWidth: 24, seed: 1 }, 'figures profile'),
  );
  log(`seeded ${rows} raw-data rows in ${(seeded.elapsedMs / 1000).toFixed(1)} s`);
} finally {
  await pool.end();
}
const connection: ChildConnection = { databaseUrl: services.postgres.url, s3: services.objectStore.connection, bucket: services.objectStore.bucket, prefix: 'figures' };
const full = (serializer: SerializerStrategy): UpdateAllSwitches => ({ serializer, parallelism: 4, incremental: false });
const MEASURE = { maxAttempts: 1, warmUp: values['warm-up'] };

const lines: string[] = [];
const perMillion = (cpuMs: number, n: number) => (cpuMs / 1000) * (1e6 / n);
const cpuByStrategy = new Map<string, number>();
for (const strategy of strategies) {
  const runs: MeasuredUpdateAll[] = [];
  for (let i = 0; i < repeats; i++) {
    runs.push(await measureUpdateAll(connection, full(strategy), MEASURE));
    log(`${strategy}: ${(runs.at(-1)!.wallMs / 1000).toFixed(1)} s wall, ${(runs.at(-1)!.cpuMs / 1000).toFixed(2)} CPU-s, peak RSS ${mib(runs.at(-1)!.peakRssKib)} MiB`);
  }
  const cpu = median(runs.map((r) => perMillion(r.cpuMs, r.rows)));
  cpuByStrategy.set(strategy, cpu);
  lines.push(
    `| worker, ${strategy} | ${cpu.toFixed(2)} | ${median(runs.map((r) => r.wallMs / 1000)).toFixed(1)} | ${mib(median(runs.map((r) => r.peakRssKib)))} (before run ${mib(median(runs.map((r) => r.baselineRssKib)))}, heap limit ${runs[0]!.heapLimitMiB.toFixed(0)}) | ${runs[0]!.rows} rows, ${runs[0]!.bytes} bytes |`,
  );
}
let floorCpu: number | undefined;
if (!values['skip-floor']) {
  const runs = [];
  for (let i = 0; i < repeats; i++) runs.push(await runFloorChild(floorRunSettings(connection)));
  const f = runs[0]!;
  floorCpu = median(runs.map((r) => perMillion(r.native.psqlCpuMs + r.native.gzipCpuMs, r.copyRows)));
  lines.push(
    `| native floor: psql COPY \\| gzip -${FLOOR_DEFLATE_LEVEL} | ${floorCpu.toFixed(2)} (gzip ${median(runs.map((r) => perMillion(r.native.gzipCpuMs, r.copyRows))).toFixed(2)}) | ${median(runs.map((r) => r.native.wallMs / 1000)).toFixed(1)} | - | ${f.copyRows} rows, COPY ${f.copyBytes} bytes → ${f.native.compressedBytes} |`,
    `| node floor: psql COPY + deflateRaw level ${FLOOR_DEFLATE_LEVEL} + one PUT | ${median(runs.map((r) => perMillion(r.psqlCpuMs + r.nodeCpuMs, r.copyRows))).toFixed(2)} (psql ${median(runs.map((r) => perMillion(r.psqlCpuMs, r.copyRows))).toFixed(2)}, PUT ${median(runs.map((r) => perMillion(r.putCpuMs, r.copyRows))).toFixed(2)}) | ${median(runs.map((r) => r.wallMs / 1000)).toFixed(1)} | - | ${f.copyRows} rows, COPY ${f.copyBytes} bytes → ${f.compressedBytes} |`,
  );
}

console.log(`\n## Full sync of one client, ${rows.toLocaleString('en-US')} raw-data rows (+1,800 rows of other kinds), parallelism 4, ${repeats} run(s) each, medians\n`);
console.log('| run | CPU-s per 1M rows | wall s | peak RSS MiB | size |');
console.log('|---|---|---|---|---|');
for (const line of lines) console.log(line);
if (floorCpu !== undefined) for (const [strategy, cpu] of cpuByStrategy) console.log(`worker / native floor CPU ratio, ${strategy}: ${(cpu / floorCpu).toFixed(2)}x (target ≤ 1.5x)`);

if (limitMiB > 0) {
  const { command, args } = childCommand(UPDATE_ALL_CHILD);
  const profile = { name: `hard-${limitMiB}`, description: `full sync under a ${limitMiB} MiB hard limit`, container: { cpu: 1024, memory: limitMiB } };
  log(`sandboxed run: ${JSON.stringify(profile)}`);
  const result = await runSandboxed({ command, args, env: updateAllChildEnv(connection, full('streaming'), MEASURE), profile });
  let child: MeasuredUpdateAll | undefined;
  try {
    child = parseResultLine<MeasuredUpdateAll>(result.stdout, result.stderr, 'sandboxed child');
  } catch {
    child = undefined;
  }
  console.log(`\n## Streaming full sync under a real cgroup: container.memory ${limitMiB} MiB (hard), cpu 1024 (${result.mode})\n`);
  console.log(`outcome ${result.outcome}, exit ${result.exitCode ?? result.signal}, OOM kills ${result.memory.oomKills}, cgroup peak memory ${result.memory.peakBytes === undefined ? 'n/a' : (result.memory.peakBytes / 2 ** 20).toFixed(1)} MiB, wall ${result.wallSeconds.toFixed(1)} s, CPU ${result.cpuSeconds.toFixed(2)} s`);
  if (result.probe) console.log(`probe: heap limit ${(result.probe.heapSizeLimitBytes / 2 ** 20).toFixed(0)} MiB, constrainedMemory ${result.probe.constrainedMemoryBytes === null ? 'n/a' : (result.probe.constrainedMemoryBytes / 2 ** 20).toFixed(0)} MiB, max RSS ${(result.probe.maxRssBytes / 2 ** 20).toFixed(1)} MiB, GC ${result.probe.gc.count} × (max ${result.probe.gc.maxPauseMs.toFixed(1)} ms)`);
  if (child) console.log(`child: ${child.rows} rows synced, ${child.failed} failed, ${(child.cpuMs / 1000).toFixed(2)} CPU-s in updateAll, peak RSS ${mib(child.peakRssKib)} MiB`);
  else console.log(`child printed no result; stderr tail: ${result.stderr.slice(-1500)}`);
}

const profDir = values['cpu-prof'];
if (profDir) {
  mkdirSync(profDir, { recursive: true });
  const before = new Set(readdirSync(profDir));
  const run = await measureUpdateAll(connection, full('streaming'), MEASURE, ['--cpu-prof', '--cpu-prof-dir', profDir]);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile') && !before.has(f));
  console.log(`\n## CPU profile of one streaming full sync (${(run.cpuMs / 1000).toFixed(2)} CPU-s under the profiler): ${file ? path.join(profDir, file) : 'not written'}\n`);
  if (file) console.log(summarizeCpuProfile(path.join(profDir, file)));
}
