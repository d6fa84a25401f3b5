// Memory growth per row of the worker the image ships: the bundle (tools/build-worker.mjs)
// run by this machine's node with the Dockerfile's node flags and ENV, one full sync of one
// client through its HTTP API (bench/memory/worker-session.ts), at two sizes of that client. Growth = peak RSS
// (VmHWM) − RSS once the worker listens, before the sync; per 100k rows = the difference of
// the two sizes' median growths over the difference of their rows. Start-up, modules and the
// upload buffers cancel out; what stays is what the worker keeps per row. A streaming sync
// keeps little: 0.5-1.0 MiB per 100k rows; with a leak of 100 bytes a row it measured 11.4.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { ReleaseStack } from '@storage-builder/resources';
import { makeTempDir, provisionPostgres } from '@storage-builder/services';
import { migrate, parseDataProfile, seedDatabase } from '@storage-builder/source-db';
import { median } from '../harness/stats';
import type { Injection } from '../harness/regression-injection';
import { measureFullSync } from '../memory/worker-session';
import { parseVariant, REPO_ROOT, workerEnv, type WorkerTarget } from '../memory/worker-variant';
import type { Measurement } from './metrics';

const run = promisify(execFile);

export const MEMORY_GROWTH = 'memory growth per 100k rows: full sync, worker bundle';
const LEAK_MODULE = path.join(REPO_ROOT, 'bench/harness/leak-per-row.ts');

export interface MemoryGrowthOptions {
  /** The smaller and the larger size of the one client. */
  readonly rows: readonly [number, number];
  /** Fresh worker processes per size, alternating sizes. */
  readonly runs: number;
  /** The PostgreSQL server the two databases are created on. */
  readonly serverUrl: string;
  readonly objectStore: { readonly connection: WorkerTarget['s3']; readonly bucket: string };
  readonly stack: ReleaseStack;
  readonly injection: Injection | undefined;
  readonly log: (message: string) => void;
}

/** Builds the bundle into a directory of its own: `apps/worker/dist` stays as the user left it. */
async function buildBundle(stack: ReleaseStack, injection: Injection | undefined): Promise<string> {
  const dir = await makeTempDir('gate-bundle');
  stack.push('worker bundle', () => dir.remove());
  const inject = injection === 'leak-per-row' ? ['--inject', LEAK_MODULE] : [];
  await run(process.execPath, [path.join(REPO_ROOT, 'tools/build-worker.mjs'), '--outdir', dir.path, ...inject], { cwd: REPO_ROOT });
  return path.join(dir.path, 'main.mjs');
}

/** A database of its own holding one client with `rows` raw-data rows, as the memory benchmark seeds it. */
async function seededDatabase(options: MemoryGrowthOptions, rows: number): Promise<string> {
  const handle = await provisionPostgres({ provider: 'environment', env: { DATABASE_URL: options.serverUrl }, label: `perf-gate-memory-${rows}` });
  options.stack.push(`database memory-${rows}`, () => handle.stop());
  const pool = new pg.Pool({ connectionString: handle.url, max: 2 });
  try {
    await migrate(pool);
    const profile = parseDataProfile({ clients: 1, rows: { rawData: rows, entities: 1_000, dataItems: 200, formulas: 100, formulaAssociations: 500 }, rawDataSkew: 1, textWidth: 24, seed: 1 }, 'memory growth profile');
    await seedDatabase(pool, profile);
    await pool.query('VACUUM ANALYZE');
  } finally {
    await pool.end();
  }
  return handle.url;
}

export async function measureMemoryGrowth(options: MemoryGrowthOptions): Promise<Measurement[]> {
  const [small, large] = options.rows;
  const bundle = await buildBundle(options.stack, options.injection);
  const variant = parseVariant(`image@${bundle}`);
  const urls = [await seededDatabase(options, small), await seededDatabase(options, large)];
  const store = options.objectStore;
  const growth: [number[], number[]] = [[], []];
  let runNumber = 0;
  for (let round = 1; round <= options.runs; round++) {
    for (const index of round % 2 === 1 ? [0, 1] : [1, 0]) {
      const env = workerEnv({ databaseUrl: urls[index]!, s3: store.connection, bucket: store.bucket, prefix: `gate-memory-${++runNumber}` }, 4);
      const sync = await measureFullSync(variant, env);
      growth[index]!.push((sync.peakRssKib - sync.idleRssKib) / 1024);
    }
    options.log(`memory growth round ${round}/${options.runs}: peak − idle RSS ${growth[0].at(-1)!.toFixed(1)} MiB at ${small} rows, ${growth[1].at(-1)!.toFixed(1)} MiB at ${large} rows`);
  }
  const perHundredThousand = ((median(growth[1]) - median(growth[0])) / (large - small)) * 100_000;
  const m = (name: string, samples: number[]): Measurement => ({ name, unit: 'MiB', kind: 'report', group: 'sync', value: median(samples), samples });
  return [
    { name: MEMORY_GROWTH, unit: 'MiB', kind: 'counter', group: 'sync', value: perHundredThousand },
    m(`peak − idle RSS: full sync of ${small} rows, worker bundle`, growth[0]),
    m(`peak − idle RSS: full sync of ${large} rows, worker bundle`, growth[1]),
  ];
}
