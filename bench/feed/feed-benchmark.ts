// Benchmark of the change feed (not a test): rows/s, worker CPU-seconds per 1M raw-data
// rows and peak RSS of a full read, beside the floor measured in the same run: the
// database's own `COPY (SELECT ...) TO STDOUT` of the same rows through psql into
// /dev/null. Runs alternate feed, psql, feed, psql, ... and medians are printed.
//
//   npx tsx bench/feed/feed-benchmark.ts --rows 1000000 [--repeats 3] [--batch-size 5000]
//
// Uses DATABASE_URL when set, else an embedded PostgreSQL. Each feed measurement runs in
// a child process of its own, so its CPU time and peak RSS are that process's alone.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { provisionPostgres } from '@storage-builder/services';
import { DEFAULT_BATCH_SIZE, feedRowsCopy, migrate, openChangeFeed, seedDatabase } from '@storage-builder/source-db';
import { median, round } from '../harness/stats';

const CLIENT_ID = 1;
const DEFAULT_ROWS = 1_000_000;
const DEFAULT_REPEATS = 3;
const TIME_BINARY = '/usr/bin/time';

/** What one child reports on stdout, as one JSON line. */
interface FeedMeasurement {
  rows: number;
  batches: number;
  wallSeconds: number;
  cpuSeconds: number;
  /** `process.resourceUsage().maxRSS` at the end, in KiB: the process's peak. */
  peakRssKib: number;
  /** Peak RSS before the feed was opened: what the process (node, tsx, pg) costs anyway. */
  baselineRssKib: number;
}

interface PsqlMeasurement {
  wallSeconds: number;
  cpuSeconds: number;
  peakRssKib: number;
}

const scriptPath = fileURLToPath(import.meta.url);
const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: String(DEFAULT_ROWS) },
    repeats: { type: 'string', default: String(DEFAULT_REPEATS) },
    'batch-size': { type: 'string', default: String(DEFAULT_BATCH_SIZE) },
    child: { type: 'boolean', default: false },
    url: { type: 'string' },
  },
});

function positiveInteger(text: string | undefined, flag: string): number {
  const number = Number(text);
  if (Number.isSafeInteger(number) && number > 0) return number;
  throw new Error(`--${flag} is ${JSON.stringify(text)}: use a positive integer`);
}

const batchSize = positiveInteger(values['batch-size'], 'batch-size');

if (values.child) {
  if (values.url === undefined) throw new Error('--child needs --url');
  process.stdout.write(`${JSON.stringify(await measureFeed(values.url))}\n`);
} else {
  await runBenchmark(positiveInteger(values.rows, 'rows'), positiveInteger(values.repeats, 'repeats'));
}

/** In the child: one full read of the client's raw data, draining every batch. */
async function measureFeed(url: string): Promise<FeedMeasurement> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const baselineRssKib = process.resourceUsage().maxRSS;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const feed = await openChangeFeed({ source: client, clientId: CLIENT_ID, kind: 'raw-data', since: null, batchSize });
    let rows = 0;
    let batches = 0;
    for await (const batch of feed.batches()) {
      rows += batch.rows.length;
      batches++;
    }
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return { rows, batches, wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssKib: process.resourceUsage().maxRSS, baselineRssKib };
  } finally {
    await client.end();
  }
}

async function runBenchmark(rowCount: number, repeats: number): Promise<void> {
  await using database = await provisionPostgres({ label: 'feed-bench' });
  console.log(`PostgreSQL: ${database.provider} (${database.reason}), database ${database.database}`);
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  try {
    await migrate(pool);
    const seeded = await seedDatabase(pool, {
      clients: 1,
      rows: { rawData: rowCount, entities: 1_000, dataItems: 200, formulas: 100, formulaAssociations: 500 },
      rawDataSkew: 1,
      textWidth: 24,
      seed: 1,
    });
    const { rows: size } = await pool.query<{ bytes: string }>(`SELECT pg_size_pretty(pg_total_relation_size('raw_data')) AS bytes`);
    console.log(`seeded ${rowCount} raw-data rows (+ ${seeded.rows.entities + seeded.rows['data-items'] + seeded.rows.formulas + seeded.rows['formula-associations']} others) in ${(seeded.elapsedMs / 1000).toFixed(2)} s (incl. ANALYZE); raw_data on disk: ${size[0]?.bytes}`);
  } finally {
    await pool.end();
  }

  const copySql = feedRowsCopy(CLIENT_ID, 'raw-data', null);
  console.log(`floor: psql -X -c "${copySql}" > /dev/null, measured by ${TIME_BINARY} (psql's own user+sys CPU and max RSS)`);
  console.log(`feed: openChangeFeed(full read, batchSize ${batchSize}) in a child node process, draining all batches; CPU = process.cpuUsage() delta around the read\n`);

  const feedRuns: FeedMeasurement[] = [];
  const psqlRuns: PsqlMeasurement[] = [];
  for (let round = 1; round <= repeats; round++) {
    const feed = await runFeedChild(database.url);
    if (feed.rows !== rowCount) throw new Error(`the feed delivered ${feed.rows} rows, the seed has ${rowCount}`);
    feedRuns.push(feed);
    const psql = await runPsql(database.url, copySql);
    psqlRuns.push(psql);
    console.log(
      `round ${round}: feed ${feed.wallSeconds.toFixed(2)} s wall, ${feed.cpuSeconds.toFixed(2)} CPU-s, peak RSS ${mib(feed.peakRssKib)} (baseline ${mib(feed.baselineRssKib)}), ${feed.batches} batches` +
        ` | psql ${psql.wallSeconds.toFixed(2)} s wall, ${psql.cpuSeconds.toFixed(2)} CPU-s, peak RSS ${mib(psql.peakRssKib)}`,
    );
  }

  const perMillion = 1_000_000 / rowCount;
  const feedCpu = median(feedRuns.map((r) => r.cpuSeconds)) * perMillion;
  const psqlCpu = median(psqlRuns.map((r) => r.cpuSeconds)) * perMillion;
  const summary = {
    rows: rowCount,
    repeats,
    batchSize,
    provider: database.provider,
    feedRowsPerSecond: Math.round(median(feedRuns.map((r) => r.rows / r.wallSeconds))),
    psqlRowsPerSecond: Math.round(median(psqlRuns.map((r) => rowCount / r.wallSeconds))),
    feedCpuSecondsPer1M: round(feedCpu, 2),
    psqlCpuSecondsPer1M: round(psqlCpu, 2),
    cpuRatioFeedOverPsql: round(feedCpu / psqlCpu, 2),
    feedPeakRssMiB: round(median(feedRuns.map((r) => r.peakRssKib)) / 1024, 2),
    feedBaselineRssMiB: round(median(feedRuns.map((r) => r.baselineRssKib)) / 1024, 2),
    psqlPeakRssMiB: round(median(psqlRuns.map((r) => r.peakRssKib)) / 1024, 2),
  };
  console.log(`\nmedians of ${repeats} alternating rounds (2 shared cores: expect noise of tens of percent between runs):`);
  console.log(`  rows/s           feed ${summary.feedRowsPerSecond}   psql ${summary.psqlRowsPerSecond}`);
  console.log(`  CPU-s per 1M     feed ${summary.feedCpuSecondsPer1M}   psql ${summary.psqlCpuSecondsPer1M}   ratio ${summary.cpuRatioFeedOverPsql}x`);
  console.log(`  peak RSS         feed ${summary.feedPeakRssMiB} MiB (process baseline ${summary.feedBaselineRssMiB} MiB)   psql ${summary.psqlPeakRssMiB} MiB`);
  console.log(`  (server-side CPU of either read is not included in these figures)`);
  console.log(JSON.stringify(summary));
}

function runFeedChild(url: string): Promise<FeedMeasurement> {
  // The parent's execArgv carries tsx's loader, so the child runs this file the same way.
  const args = [...process.execArgv, scriptPath, '--child', '--url', url, '--batch-size', String(batchSize)];
  return run(process.execPath, args, 'pipe').then(({ stdout }) => JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as FeedMeasurement);
}

async function runPsql(url: string, copySql: string): Promise<PsqlMeasurement> {
  const { stderr } = await run(TIME_BINARY, ['-f', 'TIME %U %S %M %e', 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', copySql], 'ignore');
  const match = /TIME ([\d.]+) ([\d.]+) (\d+) ([\d.]+)\s*$/.exec(stderr);
  if (!match) throw new Error(`could not read ${TIME_BINARY} output: ${stderr}`);
  return { cpuSeconds: Number(match[1]) + Number(match[2]), peakRssKib: Number(match[3]), wallSeconds: Number(match[4]) };
}

function run(command: string, args: string[], stdout: 'pipe' | 'ignore'): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', stdout, 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ stdout: out, stderr: err }) : reject(new Error(`${command} exited with ${code}: ${err}`))));
  });
}

function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}
