// One measured UpdateAll in a process of its own, started by updater-benchmark.ts (not meant
// to be run by hand). Settings come from the environment:
//   DATABASE_URL, S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_BUCKET,
//   UPDATER_BENCH_RUN = JSON of ChildSettings.
// Prints one JSON line (ChildMeasurement) on stdout. CPU and peak RSS are this process's
// alone; the PostgreSQL server's CPU and the object store's are not in them.
import { getHeapStatistics } from 'node:v8';
import { S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '@storage-builder/services';
import { readManifest, SnapshotStore, type SerializerStrategy } from '@storage-builder/snapshot';
import { createSourcePool } from '@storage-builder/source-db';
import { StorageUpdater, sourceConnectionsFor } from '@storage-builder/updater';
import { summaryFigures, type SummaryFigures } from './summary-figures';

export interface ChildSettings {
  parallelism: number;
  incremental: boolean;
  serializer: SerializerStrategy;
  /** Key prefix in the bucket, one per benchmark database. */
  prefix: string;
}

export interface ChildMeasurement extends SummaryFigures {
  /** performance.now() around updateAll(). */
  wallMs: number;
  /** process.cpuUsage() delta around updateAll(), user + system. */
  cpuMs: number;
  /** RunSummary.durationMs and .cpuMs, for comparison with the outer window. */
  summaryDurationMs: number;
  summaryCpuMs: number;
  /** process.cpuUsage() of the whole process at the end: start-up (tsx, imports) included. */
  processCpuMs: number;
  /** process.resourceUsage().maxRSS, KiB: before updateAll() (node + tsx + modules), and the peak at the end. */
  baselineRssKib: number;
  peakRssKib: number;
  heapLimitMiB: number;
  /** Incremental targets whose manifest has no deltas after the run: the publisher compacted the chain. */
  compactions: number;
  /** Longest delta chain among the targets after the run. */
  maxDeltas: number;
  /** Warnings the SnapshotStore logged during updateAll (a failed delete or abort). */
  storeWarnings: number;
  firstStoreWarning: string | undefined;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: this file is started by bench/updater/updater-benchmark.ts`);
  return value;
}

async function main(): Promise<ChildMeasurement> {
  const settings = JSON.parse(required('UPDATER_BENCH_RUN')) as ChildSettings;
  const pool = createSourcePool({ connectionString: required('DATABASE_URL'), max: sourceConnectionsFor(settings.parallelism) });
  const s3 = new S3Client(
    s3ClientConfig({
      endpoint: required('S3_ENDPOINT'),
      region: process.env['S3_REGION'] ?? 'us-east-1',
      accessKeyId: required('S3_ACCESS_KEY_ID'),
      secretAccessKey: required('S3_SECRET_ACCESS_KEY'),
    }),
  );
  const warnings: string[] = [];
  const store = new SnapshotStore({ s3, bucket: required('S3_BUCKET'), prefix: settings.prefix, logger: { warn: (message) => void warnings.push(message) } });
  try {
    const updater = new StorageUpdater({
      source: pool,
      store,
      serializer: settings.serializer,
      parallelism: settings.parallelism,
      incremental: settings.incremental,
    });
    // Outside the timed window: the schema check and the store's one-off conditional-write probe.
    await updater.check();
    await store.conditionalWrites();
    // The probe's warning (s3rver enforces no conditional writes) is expected; count what follows.
    warnings.length = 0;
    const baselineRssKib = process.resourceUsage().maxRSS;

    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const summary = await updater.updateAll();
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const peakRssKib = process.resourceUsage().maxRSS;

    let compactions = 0;
    let maxDeltas = 0;
    for (const result of summary.results) {
      if (result.state !== 'completed') continue;
      const manifest = await readManifest(store, result.target);
      const deltas = manifest?.manifest.deltas.length ?? 0;
      maxDeltas = Math.max(maxDeltas, deltas);
      if (result.mode === 'incremental' && result.objectKey !== undefined && deltas === 0) compactions++;
    }
    const total = process.cpuUsage();
    return {
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      summaryDurationMs: summary.durationMs,
      summaryCpuMs: summary.cpuMs,
      processCpuMs: (total.user + total.system) / 1000,
      baselineRssKib,
      peakRssKib,
      heapLimitMiB: getHeapStatistics().heap_size_limit / 1024 / 1024,
      ...summaryFigures(summary),
      compactions,
      maxDeltas,
      storeWarnings: warnings.length,
      firstStoreWarning: warnings[0],
    };
  } finally {
    s3.destroy();
    await pool.end();
  }
}

process.stdout.write(`${JSON.stringify(await main())}\n`);
