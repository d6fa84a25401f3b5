// One measured run in a process of its own, started by the gate (gate.ts) or by
// sync-figures.ts; not meant to be run by hand. Settings: GATE_CHILD (JSON ChildSettings).
// Prints one line `GATE_RESULT <json>` on stdout.
//
// - update: one UpdateAll. CPU = process.cpuUsage() around updateAll() (start-up, imports and
//   the schema check are outside); peak RSS = process.resourceUsage().maxRSS. DB round trips
//   are counted by wrapping pg's Client#query in this process (the pool's queries and the
//   feed's COPY go through it); S3 requests by an S3Client middleware at the initialize step.
//   With countPromises, async_hooks count PROMISE inits during updateAll (diagnostic pass only).
// - floor: psql `COPY (...) TO STDOUT` (under /usr/bin/time for psql's own CPU) piped into
//   zlib deflateRaw at the worker's level, into a counting sink; then one PutObject of a blob
//   of the compressed size. CPU = psql user+sys + this process's CPU around pipeline and PUT.
import { createHook } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getHeapStatistics } from 'node:v8';
import { createDeflateRaw } from 'node:zlib';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { s3ClientConfig } from '@storage-builder/services';
import { SnapshotStore } from '@storage-builder/snapshot';
import { createSourcePool } from '@storage-builder/source-db';
import { StorageUpdater, sourceConnectionsFor } from '@storage-builder/updater';
import { RESULT_MARKER, SETTINGS_VARIABLE, TIME_BINARY, type ChildSettings, type FloorRunResult, type FloorRunSettings, type UpdateRunResult, type UpdateRunSettings } from './child-protocol';
import { injectionFromEnv, strategyFor, wrapPublisherWithPerRowAwait } from './inject';
import { summaryFigures } from '../updater/summary-figures';

const counters = { dbQueries: 0, s3: {} as Record<string, number>, counting: false };

function countDbQueries(): void {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    if (counters.counting) counters.dbQueries++;
    return original.apply(this, args);
  };
}

function countingS3Client(settings: ChildSettings): S3Client {
  const s3 = new S3Client(s3ClientConfig(settings.s3));
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (counters.counting) {
        const name = context.commandName ?? 'unknown';
        counters.s3[name] = (counters.s3[name] ?? 0) + 1;
      }
      return next(args);
    },
    { step: 'initialize', name: 'gateRequestCounter' },
  );
  return s3;
}

async function runUpdate(settings: UpdateRunSettings): Promise<UpdateRunResult> {
  const injection = injectionFromEnv();
  const serializer = strategyFor(settings.serializer, injection);
  if (injection === 'per-row-await') wrapPublisherWithPerRowAwait();
  const injected = injection === undefined ? undefined : injection === 'legacy-serializer' ? (serializer !== settings.serializer ? `legacy serializer instead of ${settings.serializer}` : undefined) : 'one await per row before the serializer';
  countDbQueries();
  const pool = createSourcePool({ connectionString: settings.databaseUrl, max: sourceConnectionsFor(settings.parallelism) });
  const s3 = countingS3Client(settings);
  const store = new SnapshotStore({ s3, bucket: settings.bucket, prefix: settings.prefix, logger: { warn: () => undefined } });
  try {
    const updater = new StorageUpdater({ source: pool, store, serializer, parallelism: settings.parallelism, incremental: settings.incremental, maxAttempts: 1 });
    // Outside the measured window: the schema check and the store's one-off conditional-write probe.
    await updater.check();
    await store.conditionalWrites();
    let promises = 0;
    const hook = settings.countPromises
      ? createHook({
          init(_id, type) {
            if (type === 'PROMISE') promises++;
          },
        })
      : undefined;
    const baselineRssKib = process.resourceUsage().maxRSS;
    const startupMs = performance.now();
    counters.counting = true;
    hook?.enable();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const summary = await updater.updateAll();
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    hook?.disable();
    counters.counting = false;
    const completed = summary.results.flatMap((r) => (r.state === 'completed' ? [r] : []));
    return {
      kind: 'update',
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      startupMs,
      baselineRssKib,
      peakRssKib: process.resourceUsage().maxRSS,
      heapLimitMiB: getHeapStatistics().heap_size_limit / 2 ** 20,
      ...summaryFigures(summary),
      serializeCalls: completed.reduce((sum, r) => sum + r.serializeCalls, 0),
      dbQueries: counters.dbQueries,
      s3Requests: { ...counters.s3 },
      promises: settings.countPromises ? promises : undefined,
      injected,
    };
  } finally {
    s3.destroy();
    await pool.end();
  }
}

async function runFloor(settings: FloorRunSettings): Promise<FloorRunResult> {
  const s3 = new S3Client(s3ClientConfig(settings.s3));
  try {
    const args = ['-f', 'GATE_TIME %U %S %M', 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', settings.databaseUrl, ...settings.copyStatements.flatMap((sql) => ['-c', sql])];
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const psql = spawn(TIME_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    psql.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve, reject) => {
      psql.on('error', reject);
      psql.on('close', resolve);
    });
    let copyBytes = 0;
    let copyRows = 0;
    let compressedBytes = 0;
    await pipeline(
      psql.stdout,
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          copyBytes += chunk.length;
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) copyRows++;
          callback(null, chunk);
        },
      }),
      createDeflateRaw({ level: settings.deflateLevel }),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          compressedBytes += chunk.length;
          callback();
        },
      }),
    );
    const code = await exited;
    if (code !== 0) throw new Error(`psql exited with ${code}: ${stderr.slice(-2000)}`);
    const match = /GATE_TIME ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(stderr);
    if (!match) throw new Error(`could not read ${TIME_BINARY} output: ${stderr.slice(-2000)}`);
    const putBefore = process.cpuUsage();
    const key = `${settings.prefix}/floor-blob`;
    await s3.send(new PutObjectCommand({ Bucket: settings.bucket, Key: key, Body: Buffer.alloc(compressedBytes, 0x5a), ContentLength: compressedBytes }));
    const put = process.cpuUsage(putBefore);
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    await s3.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key }));
    return {
      kind: 'floor',
      wallMs,
      psqlCpuMs: (Number(match[1]) + Number(match[2])) * 1000,
      psqlPeakRssKib: Number(match[3]),
      nodeCpuMs: (cpu.user + cpu.system) / 1000,
      putCpuMs: (put.user + put.system) / 1000,
      copyBytes,
      copyRows,
      compressedBytes,
    };
  } finally {
    s3.destroy();
  }
}

async function main(): Promise<void> {
  const raw = process.env[SETTINGS_VARIABLE];
  if (!raw) throw new Error(`${SETTINGS_VARIABLE} is not set: this file is started by bench/gate/gate.ts`);
  const settings = JSON.parse(raw) as ChildSettings;
  const result = settings.kind === 'update' ? await runUpdate(settings) : await runFloor(settings);
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
