import { setTimeout as sleep } from 'node:timers/promises';
import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import { ReleaseStack } from '@storage-builder/resources';
import { DistributedRunner, errorMessage, startTargetWorker, targetsOf, type Logger, type ProgressListener, type RunSummary } from '@storage-builder/updater';
import type { WorkerConfig } from '../config/worker-config';
import { configSecrets, redactUrl, redactValue } from '../config/redact';
import { closeServer, createControlServer, listen } from '../http/control-server';
import { MultipartTracker } from '../metrics/multipart-tracker';
import { renderPrometheus } from '../metrics/prometheus-text';
import { RuntimeMetrics } from '../metrics/runtime-metrics';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { RunController, type RunExecutor } from '../runs/run-controller';
import { checkBucket } from './s3-client';
import { openWorkerRuntime } from './worker-runtime';
import { checkDatabase } from './database-check';
import { ReadinessProbe } from './readiness';

export interface WorkerAppOptions {
  readonly logger: Logger;
  /** @defaultValue all interfaces */
  readonly host?: string;
}

/** Share of the stop timeout kept for closing connections after in-flight targets were told to abort. */
export const CLOSE_RESERVE_FRACTION = 0.25;
export const MAX_CLOSE_RESERVE_MS = 5_000;

/** A running worker: `stop()` is idempotent and resolves once everything it opened is closed. */
export interface WorkerApp extends AsyncDisposable {
  readonly port: number;
  readonly controller: RunController;
  readonly metrics: WorkerMetrics;
  stop(): Promise<{ openMultipartUploads: Array<{ key: string; uploadId: string }> }>;
}

/**
 * Builds and starts the worker from its configuration: pool, S3 client, snapshot store,
 * tracker, updater, HTTP API, optional schedule and, in distributed mode, the queue
 * consumer. If start-up fails, what was opened is released last-in-first-out.
 */
export async function startWorkerApp(config: WorkerConfig, options: WorkerAppOptions): Promise<WorkerApp> {
  const { logger } = options;
  const releases = new ReleaseStack();
  const releaseAll = () => releases.releaseAll((name, error) => logger.log('warn', `could not close ${name}`, { error: errorMessage(error) }));
  try {
    return await build(config, options, releases, releaseAll);
  } catch (error) {
    await releaseAll();
    throw error;
  }
}

async function build(config: WorkerConfig, { logger, host }: WorkerAppOptions, releases: ReleaseStack, releaseAll: () => Promise<void>): Promise<WorkerApp> {
  const metrics = new WorkerMetrics();
  const runtimeMetrics = new RuntimeMetrics();
  releases.push('runtime metrics', () => runtimeMetrics.stop());

  const runtime = openWorkerRuntime(config, { logger, extraParallelTargets: config.workerConcurrency });
  releases.push('database pool, S3 client and version tracker', () => runtime.close());
  const { s3 } = runtime;
  const multipart = new MultipartTracker((event) => metrics.multipartEvent(event));
  multipart.attach(s3);

  let redis: Redis | undefined;
  if (config.redisUrl) {
    const client = new Redis(config.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    client.on('error', (error: Error) => logger.log('debug', 'redis connection error', { error: error.message }));
    client.connect().catch((error: unknown) => logger.log('warn', 'redis is not reachable yet', { redis: redactUrl(config.redisUrl!), error: errorMessage(error) }));
    redis = client;
    releases.push('redis', () => client.disconnect());
  }

  // Forwards the updater's events to metrics and to whichever run is in progress.
  let runListener: ProgressListener | undefined;
  const onProgress: ProgressListener = (event) => {
    metrics.onProgress(event);
    runListener?.(event);
  };
  const updater = runtime.updater({ onProgress });

  const drain = new AbortController();
  const abort = new AbortController();

  let distributed: DistributedRunner | undefined;
  let queueWorker: ReturnType<typeof startTargetWorker> | undefined;
  if (config.mode === 'distributed') {
    distributed = new DistributedRunner({ redisUrl: config.redisUrl!, logger, onProgress: (event) => runListener?.(event) });
    const runner = distributed;
    releases.push('queue producer', () => runner.stop());
    // The queue retries failed targets on any worker, so this updater tries once.
    const targetUpdater = runtime.updater({ parallelism: 1, maxAttempts: 1, onProgress: metrics.onProgress });
    await targetUpdater.check();
    queueWorker = startTargetWorker({
      redisUrl: config.redisUrl!,
      concurrency: config.workerConcurrency,
      logger,
      // Aborts at the stop deadline; the queue worker adds the loss of a job's lock to it.
      signal: abort.signal,
      updater: {
        runTarget: async (target, runOptions) => {
          const result = await targetUpdater.runTarget(target, runOptions);
          metrics.recordTarget(result);
          return result;
        },
      },
    });
    const consumer = queueWorker;
    releases.push('queue consumer', () => consumer.close(true));
  }

  const execute: RunExecutor = async ({ runId, kind, clientId, onProgress: listener }) => {
    // Verify reads the manifests under each target's lease; every replica and mode can run it.
    if (kind === 'verify') return updater.verify({ runId, clientId, signal: drain.signal });
    metrics.runStarted();
    runListener = listener;
    let summary: RunSummary | undefined;
    try {
      await updater.check();
      const targets = targetsOf(clientId === undefined ? await updater.clientIds() : [clientId]);
      summary = distributed
        ? await distributed.run(targets, { runId, signal: drain.signal })
        : // SIGTERM drains (no new targets); the stop deadline aborts the ones in flight.
          await updater.runTargets(targets, { runId, drain: drain.signal, signal: abort.signal });
      return summary;
    } finally {
      runListener = undefined;
      metrics.runFinished(!summary ? 'error' : summary.failed > 0 ? 'failed-targets' : summary.aborted + summary.skipped > 0 ? 'aborted' : 'completed');
    }
  };
  const controller = new RunController({ execute, logger });

  const secrets = configSecrets(config);
  const readiness = new ReadinessProbe(
    {
      database: (signal) => checkDatabase(config.databaseUrl, signal),
      bucket: (signal) => checkBucket(s3, config.s3.bucket, config.s3.prefix, signal),
      ...(redis ? { redis: async () => void (await redis.ping()) } : {}),
    },
    logger,
  );
  let stopping = false;
  const server: Server = createControlServer({
    controlToken: config.controlToken,
    controller,
    logger,
    isStopping: () => stopping,
    clientExists: (clientId) => updater.hasClient(clientId),
    readiness: () => readiness.report(),
    redact: (value) => redactValue(value, secrets),
    metricsText: () => renderPrometheus([...metrics.families(), ...runtimeMetrics.families()]),
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  const port = await listen(server, config.port, host);
  releases.push('HTTP server', () => closeServer(server));

  let schedule: NodeJS.Timeout | undefined;
  if (config.scheduleIntervalSeconds !== undefined) {
    schedule = setInterval(() => {
      const outcome = controller.start({ kind: 'update-all', trigger: 'schedule' });
      if (!outcome.started) logger.log('info', 'scheduled UpdateAll skipped', { reason: outcome.reason, runId: outcome.run?.id });
    }, config.scheduleIntervalSeconds * 1000);
  }

  logger.log('info', 'worker started', {
    port,
    mode: config.mode,
    serializer: config.serializer,
    parallelism: config.parallelism,
    incremental: config.incremental,
    leaseTtlSeconds: config.leaseTtlSeconds,
    tracker: config.tracker,
    bucket: config.s3.bucket,
    prefix: config.s3.prefix,
    database: redactUrl(config.databaseUrl),
    scheduleIntervalSeconds: config.scheduleIntervalSeconds,
  });

  let stopped: Promise<{ openMultipartUploads: Array<{ key: string; uploadId: string }> }> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      const stopMs = config.stopTimeoutSeconds * 1000;
      const graceMs = stopMs - Math.min(MAX_CLOSE_RESERVE_MS, stopMs * CLOSE_RESERVE_FRACTION);
      logger.log('info', 'worker stopping: no new targets start; in-flight targets may finish', { runId: controller.running?.id, graceMs, stopTimeoutMs: stopMs });
      stopping = true;
      controller.refuseNewRuns();
      if (schedule) clearInterval(schedule);
      drain.abort(new Error('the worker is stopping'));
      const serverClosed = closeServer(server);
      const deadline = new AbortController();
      // At the grace deadline, in-flight targets abort: their uploads are aborted, nothing is committed for them.
      const graceTimer = setTimeout(() => {
        logger.log('warn', 'stop grace period over: aborting targets still in flight', { runId: controller.running?.id });
        abort.abort(new Error('the worker stop timeout was reached'));
      }, graceMs);
      const work = Promise.all([controller.settled(), queueWorker?.close()]);
      await Promise.race([work, sleep(stopMs, undefined, { signal: deadline.signal }).catch(() => undefined)]);
      deadline.abort();
      clearTimeout(graceTimer);
      server.closeAllConnections();
      await serverClosed;
      const openMultipartUploads = multipart.openUploads();
      await releaseAll();
      logger.log(openMultipartUploads.length > 0 ? 'warn' : 'info', 'worker stopped', { openMultipartUploads: openMultipartUploads.length, uploads: openMultipartUploads, multipartUploads: multipart.counts(), lastRun: controller.list()[0]?.id, lastRunStatus: controller.list()[0]?.status });
      return { openMultipartUploads };
    })();
    return stopped;
  };

  return {
    port,
    controller,
    metrics,
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}
