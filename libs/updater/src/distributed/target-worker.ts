import { Worker, type Job } from 'bullmq';
import { parseDataKind, parseClientId, targetId } from '@storage-builder/data-model';
import { silentLogger, type Logger } from '../logger';
import type { StorageUpdater } from '../storage-updater';
import type { TargetResult } from '../target-result';
import { connectionOf, resolveQueueSettings, type QueueSettings, type TargetJobData } from './queue-settings';

export interface TargetWorkerOptions extends QueueSettings {
  /** Runs each target. Give it `maxAttempts: 1`: the queue retries, on any worker. */
  updater: Pick<StorageUpdater, 'runTarget'>;
  /** Target jobs this process runs at once. @defaultValue 1 */
  concurrency?: number;
  /** @defaultValue no logs */
  logger?: Logger;
}

/**
 * A queue consumer: takes target jobs of any run and runs them through the updater.
 * A job whose target failed or was aborted fails its attempt, so the queue retries it
 * with backoff, possibly on another worker. A worker that dies stops renewing its locks;
 * after `lockDurationMs` its jobs go back to the queue for the others.
 */
export function startTargetWorker(options: TargetWorkerOptions): Worker<TargetJobData, TargetResult> {
  const settings = resolveQueueSettings(options);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new Error(`concurrency is ${concurrency}: use a whole number from 1 to 64`);
  const logger = options.logger ?? silentLogger;
  const worker = new Worker<TargetJobData, TargetResult>(
    settings.queueName,
    async (job: Job<TargetJobData, TargetResult>) => {
      const target = { clientId: parseClientId(job.data.clientId, 'job clientId'), kind: parseDataKind(job.data.kind, 'job kind') };
      const result = await options.updater.runTarget(target, { runId: job.data.runId });
      if (result.state === 'failed') throw new Error(`${targetId(target)}: ${result.error}`);
      if (result.state === 'aborted') throw new Error(`${targetId(target)}: aborted while the worker stopped`);
      return result;
    },
    {
      connection: connectionOf(settings),
      prefix: settings.prefix,
      concurrency,
      lockDuration: settings.lockDurationMs,
      stalledInterval: Math.max(500, Math.floor(settings.lockDurationMs / 2)),
      // A job whose worker died twice is more likely the cause than the victim: fail it.
      maxStalledCount: 2,
    },
  );
  // Redis connection errors are retried by BullMQ; without a listener they would crash the process.
  worker.on('error', (error) => logger.log('warn', 'target worker connection error', { error: error.message }));
  worker.on('failed', (job, error) => logger.log('warn', 'target job attempt failed', { jobId: job?.id, attempt: job?.attemptsMade, error: error.message }));
  return worker;
}
