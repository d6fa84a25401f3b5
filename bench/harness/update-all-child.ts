// The one measured UpdateAll program of the harness: the gate, the updater benchmark and the
// reproduction (inside its resource sandbox) all run it. Not meant to be run by hand; its
// protocol is measured-child.ts. It builds its runtime exactly as the worker and the CLI do
// (openWorkerRuntime from the worker's variables) and measures its own run phase:
//
// - CPU = process.cpuUsage() around updateAll(); start-up, imports, the schema check, the
//   store's one-off conditional-write probe and (with warmUp) a first full sync are outside. Peak RSS = resourceUsage().maxRSS.
// - DB round trips: pg's Client#query wrapped in this process (the pool's queries and the
//   feed's COPY go through it); S3 requests: an S3Client middleware at the initialize step.
// - With countPromises, async_hooks count PROMISE inits during updateAll (diagnostic only).
import { createHook } from 'node:async_hooks';
import { getHeapStatistics } from 'node:v8';
import pg from 'pg';
import { targetId } from '@storage-builder/data-model';
import { readManifest } from '@storage-builder/snapshot';
import type { LogFields, LogLevel, Logger, RunSummary } from '@storage-builder/updater';
import { openWorkerRuntime, parseRuntimeConfig } from '@storage-builder/worker/runtime';
import { GO_LINE, MEASURE_VARIABLE, READY_LINE, RESULT_MARKER, type MeasuredUpdateAll, type MeasureOptions } from './measured-child';
import { INJECTED_DEFLATE_LEVEL, strategyFor, withPerRowAwait, wrapPublishedBatches, wrapPublisherWithExtraRequest } from './regression-injection';

const counters = { counting: false, dbQueries: 0, s3: {} as Record<string, number>, promises: 0, warnings: [] as string[] };

function countDbQueries(): void {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    if (counters.counting) counters.dbQueries++;
    return original.apply(this, args);
  };
}

/** Warnings and errors go to stderr (the harness shows them with --verbose) and are counted in the measured window; the rest is dropped. */
const countingLogger: Logger = {
  log(level: LogLevel, message: string, fields?: LogFields) {
    if (level !== 'warn' && level !== 'error') return;
    process.stderr.write(`${level}: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
    if (counters.counting) counters.warnings.push(message);
  },
};

// Stopped at a deadline: exit through 'exit' so a heap or GC probe still writes its report.
process.once('SIGTERM', () => process.exit(143));

async function main(): Promise<MeasuredUpdateAll> {
  const raw = process.env[MEASURE_VARIABLE];
  if (raw === undefined) throw new Error(`${MEASURE_VARIABLE} is not set: this program is started by the harness (bench/harness/measured-child.ts)`);
  const measure = JSON.parse(raw) as MeasureOptions;
  const config = parseRuntimeConfig(process.env);
  const { injection } = measure;
  const serializer = strategyFor(config.serializer, injection);
  if (injection === 'per-row-await') wrapPublishedBatches(injection, withPerRowAwait);
  if (injection === 'extra-request') wrapPublisherWithExtraRequest();
  // encoder-extra-work acts only where the gate counts instructions (hot-path-child.ts), leak-per-row only in the worker bundle (memory-growth.ts).
  const injected = injection && {
    'legacy-serializer': serializer !== config.serializer ? `legacy serializer instead of ${config.serializer}` : undefined,
    'per-row-await': 'one await per row before the serializer',
    'extra-request': 'one HeadObject after each published delta',
    'compression-level': `frames deflated at level ${INJECTED_DEFLATE_LEVEL}`,
    'encoder-extra-work': undefined,
    'leak-per-row': undefined,
  }[injection];
  countDbQueries();
  await using runtime = openWorkerRuntime(config, { logger: countingLogger });
  runtime.s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (counters.counting) {
        const name = context.commandName ?? 'unknown';
        counters.s3[name] = (counters.s3[name] ?? 0) + 1;
      }
      return next(args);
    },
    { step: 'initialize', name: 'harnessRequestCounter' },
  );
  const updater = runtime.updater({
    serializer,
    ...(measure.maxAttempts !== undefined && { maxAttempts: measure.maxAttempts }),
    ...(injection === 'compression-level' && { publisher: { frame: { deflateLevel: INJECTED_DEFLATE_LEVEL } } }),
  });
  // Outside the measured window: the schema check and the store's one-off conditional-write probe.
  await updater.check();
  await runtime.store.conditionalWrites();
  if (measure.warmUp) {
    if (config.incremental) throw new Error('warmUp is for full syncs: an incremental warm-up would consume the changes the measured run reads');
    await updater.updateAll();
  }
  const startupMs = performance.now();
  if (measure.startGate) {
    process.stdout.write(`${READY_LINE}\n`);
    await waitForLine(GO_LINE);
  }
  const hook = measure.countPromises
    ? createHook({
        init(_id, type) {
          if (type === 'PROMISE') counters.promises++;
        },
      })
    : undefined;
  const baselineRssKib = process.resourceUsage().maxRSS;
  counters.counting = true;
  hook?.enable();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const summary = await updater.updateAll();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  hook?.disable();
  counters.counting = false;
  const peakRssKib = process.resourceUsage().maxRSS;
  const chains = measure.inspectChains ? await inspectChains(runtime.store, summary) : undefined;
  const total = process.cpuUsage();
  const completed = summary.results.flatMap((r) => (r.state === 'completed' ? [r] : []));
  return {
    targets: summary.targets,
    full: summary.completed.full,
    incremental: summary.completed.incremental,
    published: completed.filter((r) => r.objectKey !== undefined).length,
    failed: summary.failed,
    failures: summary.results.flatMap((r) => (r.state === 'failed' ? [`${targetId(r.target)}: ${r.error}`] : [])),
    rows: summary.rows,
    tombstones: summary.tombstones,
    bytes: summary.bytes,
    serializeCalls: completed.reduce((sum, r) => sum + r.serializeCalls, 0),
    perTarget: completed.map((r) => ({ rows: r.rows + r.tombstones, durationMs: r.durationMs })),
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    summaryDurationMs: summary.durationMs,
    summaryCpuMs: summary.cpuMs,
    startupMs,
    processCpuMs: (total.user + total.system) / 1000,
    baselineRssKib,
    peakRssKib,
    heapLimitMiB: getHeapStatistics().heap_size_limit / 2 ** 20,
    dbQueries: counters.dbQueries,
    s3Requests: { ...counters.s3 },
    promises: measure.countPromises ? counters.promises : undefined,
    warnings: counters.warnings.length,
    firstWarning: counters.warnings[0],
    compactions: chains?.compactions,
    maxDeltas: chains?.maxDeltas,
    injected,
  };
}

async function inspectChains(store: Parameters<typeof readManifest>[0], summary: RunSummary): Promise<{ compactions: number; maxDeltas: number }> {
  let compactions = 0;
  let maxDeltas = 0;
  for (const result of summary.results) {
    if (result.state !== 'completed') continue;
    const deltas = (await readManifest(store, result.target))?.manifest.deltas.length ?? 0;
    maxDeltas = Math.max(maxDeltas, deltas);
    if (result.mode === 'incremental' && result.objectKey !== undefined && deltas === 0) compactions++;
  }
  return { compactions, maxDeltas };
}

function waitForLine(expected: string): Promise<void> {
  return new Promise((resolve) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      if (buffered.split('\n').includes(expected)) {
        process.stdin.off('data', onData);
        // A paused stdin still holds the event loop open; the harness says nothing more.
        process.stdin.destroy();
        resolve();
      }
    };
    process.stdin.on('data', onData);
  });
}

main().then(
  (result) => process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  },
);
