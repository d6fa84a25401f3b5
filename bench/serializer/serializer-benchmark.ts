// Benchmark of the three serializeEnumerable strategies (not a test: nothing here asserts
// a time). Run from the repository root:
//   npx tsx bench/serializer/serializer-benchmark.ts --rows 1000000
// Options: --rows N (1,000,000), --rounds N (2: tasks run A B C ... A B C ... so drift hits
// all alike), --iterations N per task per round (2), --promise-rows N (100,000),
// --feed-batch N (1,000 rows per feed batch), --json FILE (github-action-benchmark
// customSmallerIsBetter output), --skip-rss.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { Bench } from 'tinybench';
import { SERIALIZER_STRATEGIES, type Compression, type SerializerStrategy } from '@storage-builder/snapshot';
import { median } from '../harness/stats';
import { countPromises, generateFeed, serializeOnce } from './generated-feed';

interface Args {
  rows: number;
  rounds: number;
  iterations: number;
  promiseRows: number;
  feedBatch: number;
  json: string | undefined;
  skipRss: boolean;
  child: { strategy: SerializerStrategy | 'none'; compression: Compression } | undefined;
}

function parseArgs(argv: string[]): Args {
  const value = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const count = (name: string, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} is ${JSON.stringify(raw)}: use a positive integer`);
    return n;
  };
  const child = value('child');
  return {
    rows: count('rows', 1_000_000),
    rounds: count('rounds', 2),
    iterations: count('iterations', 2),
    promiseRows: count('promise-rows', 100_000),
    feedBatch: count('feed-batch', 1000),
    json: value('json'),
    skipRss: argv.includes('--skip-rss'),
    child: child ? { strategy: child as SerializerStrategy | 'none', compression: (value('compression') ?? 'none') as Compression } : undefined,
  };
}

async function runChild(args: Args): Promise<void> {
  const child = args.child!;
  const batches = generateFeed(args.rows, args.feedBatch);
  if (child.strategy !== 'none') await serializeOnce(batches, child.strategy, child.compression);
  process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, heapLimit: getHeapStatistics().heap_size_limit, rows: batches.length }) + '\n');
}

/** Peak RSS of one serialization in a fresh process, so one strategy's garbage cannot inflate another's figure. */
function measureInChild(args: Args, strategy: SerializerStrategy | 'none', compression: Compression): Promise<{ maxRssKiB: number; heapLimit: number }> {
  const script = fileURLToPath(import.meta.url);
  const argv = [...process.execArgv, script, '--child', strategy, '--compression', compression, '--rows', String(args.rows), '--feed-batch', String(args.feedBatch)];
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`child for ${strategy}/${compression} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as { maxRssKiB: number; heapLimit: number });
      } catch (error) {
        reject(new Error(`child for ${strategy}/${compression} printed no result: ${String(error)}`));
      }
    });
  });
}

/** Promises created per row, in a pass of its own (hooks slow everything down). */
async function countPromisesPerRow(rows: number, feedBatch: number, strategy: SerializerStrategy): Promise<number> {
  const batches = generateFeed(rows, feedBatch);
  return (await countPromises(() => serializeOnce(batches, strategy, 'none'))) / rows;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) return runChild(args);

  console.log(`node ${process.version}, ${args.rows.toLocaleString()} raw-data rows in feed batches of ${args.feedBatch}; V8 heap limit ${(getHeapStatistics().heap_size_limit / 2 ** 20).toFixed(0)} MiB`);
  const batches = generateFeed(args.rows, args.feedBatch);
  const compressions: Compression[] = ['none', 'deflate'];
  const tasks = SERIALIZER_STRATEGIES.flatMap((strategy) => compressions.map((compression) => ({ strategy, compression, name: `${strategy}/${compression}` })));
  const samples = new Map<string, { ms: number[]; cpuS: number[]; bytes: number; calls: number; batchSize: number | undefined }>();
  for (const task of tasks) samples.set(task.name, { ms: [], cpuS: [], bytes: 0, calls: 0, batchSize: undefined });

  for (let round = 1; round <= args.rounds; round++) {
    const bench = new Bench({ name: `serializer round ${round}`, iterations: args.iterations, time: 0, warmupIterations: 1, warmupTime: 0, throws: true });
    for (const task of tasks) {
      const record = samples.get(task.name)!;
      let cpuStart: NodeJS.CpuUsage | undefined;
      let measuredRuns = 0;
      // tinybench 5.1.0 has no `async` task option: it treats an `async function` as async
      // by its constructor, so the task is declared `async` on purpose.
      bench.add(
        task.name,
        async () => {
          const result = await serializeOnce(batches, task.strategy, task.compression);
          record.bytes = result.bytes;
          record.calls = result.serializeCalls;
          record.batchSize = result.batchSize;
        },
        {
          beforeAll(mode) {
            if (mode !== 'run') return;
            measuredRuns = 0;
            cpuStart = process.cpuUsage();
          },
          beforeEach(mode) {
            if (mode === 'run') measuredRuns++;
          },
          afterAll(mode) {
            if (mode !== 'run' || !cpuStart || measuredRuns === 0) return;
            // Whole-process CPU (all threads) over the measured iterations, hooks included.
            const used = process.cpuUsage(cpuStart);
            record.cpuS.push((used.user + used.system) / 1e6 / measuredRuns);
          },
        },
      );
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (!result || result.error || result.aborted) throw new Error(`task ${task.name} did not complete: ${String(result?.error ?? 'aborted')}`);
      samples.get(task.name)!.ms.push(...result.latency.samples);
    }
    console.log(`round ${round}/${args.rounds} done`);
  }

  console.log(`\npromises per row (separate async_hooks pass over ${args.promiseRows.toLocaleString()} rows, compression none):`);
  const promisesPerRow = new Map<SerializerStrategy, number>();
  for (const strategy of SERIALIZER_STRATEGIES) {
    promisesPerRow.set(strategy, await countPromisesPerRow(args.promiseRows, args.feedBatch, strategy));
    console.log(`  ${strategy.padEnd(9)} ${promisesPerRow.get(strategy)!.toFixed(4)}`);
  }

  const rss = new Map<string, number>();
  if (!args.skipRss) {
    console.log('\npeak RSS, one serialization per child process:');
    const baseline = await measureInChild(args, 'none', 'none');
    console.log(`  ${'rows only (no serialization)'.padEnd(28)} ${(baseline.maxRssKiB / 1024).toFixed(0)} MiB (heap limit ${(baseline.heapLimit / 2 ** 20).toFixed(0)} MiB)`);
    for (const task of tasks) {
      const measured = await measureInChild(args, task.strategy, task.compression);
      rss.set(task.name, measured.maxRssKiB / 1024);
      console.log(`  ${task.name.padEnd(28)} ${(measured.maxRssKiB / 1024).toFixed(0)} MiB`);
    }
  }

  const perMillion = 1e6 / args.rows;
  console.log(`\nmedians over ${args.rounds} rounds × ${args.iterations} iterations (2-core shared machine: expect noise of ±10% or more):`);
  console.log('task                 median s  rows/s      CPU-s/1M rows  MB out  serialize calls  batch size  peak RSS MiB');
  for (const task of tasks) {
    const s = samples.get(task.name)!;
    const ms = median(s.ms);
    console.log(
      `${task.name.padEnd(20)} ${(ms / 1000).toFixed(3).padStart(8)}  ${Math.round(args.rows / (ms / 1000)).toLocaleString().padStart(10)}  ${(median(s.cpuS) * perMillion).toFixed(3).padStart(13)}  ${(s.bytes / 1e6).toFixed(1).padStart(6)}  ${String(s.calls).padStart(15)}  ${String(s.batchSize ?? '-').padStart(10)}  ${rss.has(task.name) ? rss.get(task.name)!.toFixed(0).padStart(12) : '-'}`,
    );
  }
  console.log('\nratios (legacy / fix; above 1 means the fix is better):');
  const metrics: { name: string; unit: string; value: number }[] = [];
  for (const compression of compressions) {
    const legacy = samples.get(`legacy/${compression}`)!;
    for (const fix of ['batched', 'streaming'] as const) {
      const other = samples.get(`${fix}/${compression}`)!;
      const time = median(legacy.ms) / median(other.ms);
      const cpu = median(legacy.cpuS) / median(other.cpuS);
      console.log(`  legacy/${fix.padEnd(9)} compression ${compression.padEnd(7)} wall ${time.toFixed(2)}x  CPU ${cpu.toFixed(2)}x`);
    }
  }
  for (const task of tasks) {
    const s = samples.get(task.name)!;
    metrics.push({ name: `serializer ${task.name} CPU-s per 1M rows`, unit: 's', value: median(s.cpuS) * perMillion });
    if (rss.has(task.name)) metrics.push({ name: `serializer ${task.name} peak RSS`, unit: 'MiB', value: rss.get(task.name)! });
  }
  for (const [strategy, value] of promisesPerRow) metrics.push({ name: `serializer ${strategy} promises per row`, unit: 'promises', value });
  if (args.json) {
    writeFileSync(args.json, JSON.stringify(metrics, null, 2) + '\n');
    console.log(`\nwrote ${args.json} (customSmallerIsBetter)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
