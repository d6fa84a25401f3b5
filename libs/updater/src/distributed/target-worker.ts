import { Worker, type Job, type Processor, type WorkerOptions } from 'bullmq';
import { parseDataKind, parseClientId, targetId } from '@storage-builder/data-model';
import { errorMessage, silentLogger, type Logger } from '../logger';
import type { StorageUpdater } from '../storage-updater';
import type { TargetResult } from '../target-result';
import { connectionOf, resolveQueueSettings, type QueueSettings, type TargetJobData } from './queue-settings';

export interface TargetWorkerOptions extends QueueSettings {
  /**
   * Runs each target. Give it `maxAttempts: 1`: the queue retries, on any worker. Pass the
   * `signal` of the options it receives on to the updater: it aborts when this worker no
   * longer holds the job's lock, and the target then must not commit.
   */
  updater: Pick<StorageUpdater, 'runTarget'>;
  /** Target jobs this process runs at once. @defaultValue 1 */
  concurrency?: number;
  /** Aborts every target in flight, e.g. at a stop deadline. The jobs go back to the queue. */
  signal?: AbortSignal;
  /** @defaultValue no logs */
  logger?: Logger;
}

/**
 * A queue consumer: takes target jobs of any run and runs them through the updater.
 * A job whose target failed or was aborted fails its attempt, so the queue retries it
 * with backoff, possibly on another worker. A worker that dies stops renewing its locks;
 * after `lockDurationMs` its jobs go back to the queue for the others.
 *
 * A job's lock can also lapse while its worker lives (an event loop stalled past the lock,
 * Redis out of reach): another worker then takes the job while this one still runs it.
 * So each target runs with a signal that aborts as soon as this worker can no longer be
 * sure it holds the job's lock (see {@link JobLocks}); the stale execution's outcome is
 * then refused by BullMQ (its token no longer matches) and only logged.
 *
 * `close()` waits for the targets in flight, whose locks are renewed until they end;
 * `close(true)` stops renewing them, so it aborts them first.
 */
export function startTargetWorker(options: TargetWorkerOptions): Worker<TargetJobData, TargetResult> {
  const settings = resolveQueueSettings(options);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new Error(`concurrency is ${concurrency}: use a whole number from 1 to 64`);
  const logger = options.logger ?? silentLogger;
  const locks = new JobLocks(settings.lockDurationMs, logger);
  // Three parameters, so that BullMQ hands over its own signal (worker.cancelJob / cancelAllJobs).
  const processor: Processor<TargetJobData, TargetResult> = async (job, token, cancelled) => {
    const target = { clientId: parseClientId(job.data.clientId, 'job clientId'), kind: parseDataKind(job.data.kind, 'job kind') };
    const execution = locks.track(job, token ?? job.token ?? '', [cancelled, options.signal]);
    try {
      const result = await options.updater.runTarget(target, { runId: job.data.runId, signal: execution.signal });
      if (result.state === 'failed') throw new Error(`${targetId(target)}: ${result.error}`);
      // 'skipped': the signal had already aborted when the target was due to start.
      if (result.state === 'aborted' || result.state === 'skipped') throw new Error(`${targetId(target)}: ${result.state}: ${abortReason(execution.signal)}`);
      return result;
    } finally {
      execution.end();
    }
  };
  const worker = new LockWatchingWorker(
    settings.queueName,
    processor,
    {
      connection: connectionOf(settings),
      prefix: settings.prefix,
      concurrency,
      lockDuration: settings.lockDurationMs,
      stalledInterval: Math.max(500, Math.floor(settings.lockDurationMs / 2)),
      // A job whose worker died twice is more likely the cause than the victim: fail it.
      maxStalledCount: 2,
    },
    locks,
  );
  worker.on('error', (error) => {
    // Already logged by JobLocks, with the job's execution aborted.
    if (error.message.startsWith('could not renew lock for job ')) return;
    // BullMQ refused to record this attempt's outcome, since its token holds no lock: the job
    // went back to the queue or to another worker, whose outcome stands. Emitted, not thrown.
    if (/^(Missing lock|Lock mismatch) for job /.test(error.message)) {
      logger.log('warn', 'target job attempt dropped: this worker no longer holds the job’s lock', { error: error.message });
    } else logger.log('warn', 'target worker connection error', { error: error.message });
  });
  worker.on('failed', (job, error) => logger.log('warn', 'target job attempt failed', { jobId: job?.id, attempt: job?.attemptsMade, error: error.message }));
  return worker;
}

function abortReason(signal: AbortSignal): string {
  return signal.aborted ? errorMessage(signal.reason) : 'the updater stopped it';
}

/**
 * This worker's executions and whether each still holds its job's lock. BullMQ's lock
 * manager renews every active job's lock through `Worker.extendJobLocks` (the extendLocks
 * script: SET PX only when the lock key still holds the execution's token, else the job id
 * is returned as failed). Another worker can take a job only once its lock key is gone
 * (moveStalledJobsToWait checks it), so an execution is known to have lost its lock when:
 * - a renewal reports it failed: the key expired or holds another execution's token; or
 * - no renewal was confirmed for `lockDuration` since the last one was sent: the key may
 *   have expired, e.g. while the event loop was stalled or Redis could not be reached (a
 *   renewal sent then may never be answered). A timer of each execution checks that.
 * Tracked by token, not by job id: one worker can run a job again while a stale execution
 * of it still runs (BullMQ's lock manager keeps only the newest token per job id; the
 * older execution, no longer renewed, is then aborted by its timer).
 */
class JobLocks {
  private readonly executions = new Map<string, { readonly jobId: string; readonly controller: AbortController; timer: NodeJS.Timeout }>();

  constructor(
    private readonly lockDurationMs: number,
    private readonly logger: Logger,
  ) {}

  /** Starts watching an execution; `signal` aborts when its lock is lost or one of `also` aborts. */
  track(job: Job, token: string, also: ReadonlyArray<AbortSignal | undefined>): { signal: AbortSignal; end(): void } {
    const jobId = job.id ?? '';
    const controller = new AbortController();
    const forward = (source: AbortSignal) => () => controller.abort(source.reason);
    const unsubscribe: Array<() => void> = [];
    for (const source of also) {
      if (!source) continue;
      if (source.aborted) controller.abort(source.reason);
      const listener = forward(source);
      source.addEventListener('abort', listener, { once: true });
      unsubscribe.push(() => source.removeEventListener('abort', listener));
    }
    // The lock was set when the job moved to active, at `processedOn` by this worker's clock.
    const execution = { jobId, controller, timer: this.expiry(token, (job.processedOn ?? Date.now()) + this.lockDurationMs) };
    this.executions.set(token, execution);
    return {
      signal: controller.signal,
      end: () => {
        clearTimeout(execution.timer);
        if (this.executions.get(token) === execution) this.executions.delete(token);
        for (const off of unsubscribe) off();
      },
    };
  }

  /** The outcome of one renewal request, sent at `sentAt`: `failed` lists the job ids it could not extend. */
  renewed(jobIds: readonly string[], tokens: readonly string[], failed: readonly string[], sentAt: number, durationMs: number): void {
    const lost = new Set(failed);
    jobIds.forEach((jobId, i) => {
      const token = tokens[i] ?? '';
      const execution = this.executions.get(token);
      if (!execution || execution.jobId !== jobId) return;
      if (lost.has(jobId)) return this.lose(token, 'its lock could not be renewed: another worker may run the job now');
      clearTimeout(execution.timer);
      execution.timer = this.expiry(token, sentAt + durationMs);
    });
  }

  /** Aborts every execution, e.g. when the worker stops renewing locks. */
  abortAll(reason: string): void {
    for (const token of [...this.executions.keys()]) this.lose(token, reason);
  }

  private expiry(token: string, validUntil: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.lose(token, `its lock was not renewed within ${this.lockDurationMs} ms and may have expired: another worker may run the job now`), Math.max(0, validUntil - Date.now()));
    timer.unref();
    return timer;
  }

  private lose(token: string, reason: string): void {
    const execution = this.executions.get(token);
    if (!execution || execution.controller.signal.aborted) return;
    clearTimeout(execution.timer);
    this.logger.log('warn', 'target job aborted: this worker no longer holds its lock', { jobId: execution.jobId, reason });
    execution.controller.abort(new Error(`job ${execution.jobId}: ${reason}`));
  }
}

/** A BullMQ worker that reports each lock renewal's outcome to {@link JobLocks}. */
class LockWatchingWorker extends Worker<TargetJobData, TargetResult> {
  constructor(
    name: string,
    processor: Processor<TargetJobData, TargetResult>,
    opts: WorkerOptions,
    private readonly locks: JobLocks,
  ) {
    super(name, processor, opts);
  }

  // BullMQ's lock manager renews through this public method; wrapping it gives each
  // renewal's send time and tokens, which the 'lockRenewalFailed' event lacks.
  override async extendJobLocks(jobIds: string[], tokens: string[], duration: number): Promise<string[]> {
    const sentAt = Date.now();
    const failed = await super.extendJobLocks(jobIds, tokens, duration);
    this.locks.renewed(jobIds, tokens, failed, sentAt, duration);
    return failed;
  }

  override async close(force = false): Promise<void> {
    // Without waiting, the locks of the jobs in flight are no longer renewed: stop them.
    if (force) this.locks.abortAll('the worker closed without waiting for its jobs');
    return super.close(force);
  }
}
