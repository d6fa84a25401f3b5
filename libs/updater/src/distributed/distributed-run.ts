import { randomUUID } from 'node:crypto';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { targetId, type Target } from '@storage-builder/data-model';
import { emitProgress, type ProgressListener } from '../progress-events';
import { silentLogger, type Logger } from '../logger';
import { summarize, type RunSummary, type TargetResult } from '../target-result';
import { connectionOf, JOB_BACKOFF_MS, resolveQueueSettings, type QueueSettings, type ResolvedQueueSettings, type TargetJobData } from './queue-settings';

export interface DistributedRunOptions extends QueueSettings {
  logger?: Logger;
  onProgress?: ProgressListener;
  /** How often outstanding jobs are checked, besides the queue's events. @defaultValue 1000 */
  pollIntervalMs?: number;
}

/**
 * The producer side of a distributed UpdateAll: one job per target, deduplicated by target
 * id so that a target already queued or running (from this run or another) is not run a
 * second time at once; then it waits for every job and collects the results.
 */
export class DistributedRunner {
  private readonly settings: ResolvedQueueSettings;
  private readonly logger: Logger;
  private connections: { queue: Queue<TargetJobData, TargetResult>; events: QueueEvents } | undefined;

  constructor(private readonly options: DistributedRunOptions) {
    this.settings = resolveQueueSettings(options);
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Fails, naming Redis, when the queue cannot be reached. Asked with a connection that
   * gives up, since BullMQ's own connections retry forever by design.
   */
  async check(): Promise<void> {
    const probe = new Redis(this.settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
    } catch (error) {
      throw new Error(`the target queue cannot reach Redis at ${withoutPassword(this.settings.redisUrl)}: ${(error as Error).message}. Check REDIS_URL.`);
    } finally {
      probe.disconnect();
    }
  }

  async run(targets: readonly Target[], runOptions: { runId?: string; signal?: AbortSignal } = {}): Promise<RunSummary> {
    await this.check();
    const { queue, events } = this.connect();
    const runId = runOptions.runId ?? randomUUID();
    const startedAt = new Date();
    emitProgress(this.options.onProgress, { type: 'run-started', runId, targets: targets.length }, this.logger);

    const jobs = new Map<string, Target>();
    for (const target of targets) {
      const job = await queue.add(
        'target',
        { runId, clientId: target.clientId, kind: target.kind },
        {
          deduplication: { id: targetId(target) },
          attempts: this.settings.attempts,
          backoff: { type: 'exponential', delay: JOB_BACKOFF_MS, jitter: 0.5 },
          removeOnComplete: { age: 24 * 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      );
      jobs.set(job.id!, target);
    }
    this.logger.log('info', 'distributed run enqueued', { runId, targets: targets.length, jobs: jobs.size });

    const results = await this.collect({ queue, events }, runId, jobs, targets.length, runOptions.signal);
    const summary = summarize(runId, startedAt, Date.now() - startedAt.getTime(), 0, targets.map((t) => results.get(targetId(t))!));
    emitProgress(this.options.onProgress, { type: 'run-finished', summary }, this.logger);
    return summary;
  }

  async stop(): Promise<void> {
    const connections = this.connections;
    this.connections = undefined;
    if (connections) await Promise.allSettled([connections.events.close(), connections.queue.close()]);
  }

  private connect() {
    if (!this.connections) {
      const connection = connectionOf(this.settings);
      const queue = new Queue<TargetJobData, TargetResult>(this.settings.queueName, { connection, prefix: this.settings.prefix });
      const events = new QueueEvents(this.settings.queueName, { connection, prefix: this.settings.prefix });
      const onError = (error: Error) => this.logger.log('warn', 'target queue connection error', { error: error.message });
      queue.on('error', onError);
      events.on('error', onError);
      this.connections = { queue, events };
    }
    return this.connections;
  }

  private collect(
    { queue, events }: { queue: Queue<TargetJobData, TargetResult>; events: QueueEvents },
    runId: string,
    jobs: Map<string, Target>,
    total: number,
    signal: AbortSignal | undefined,
  ): Promise<Map<string, TargetResult>> {
    const results = new Map<string, TargetResult>();
    return new Promise((resolve, reject) => {
      const settle = (jobId: string, result: TargetResult) => {
        const target = jobs.get(jobId);
        if (!target || results.has(targetId(target))) return;
        results.set(targetId(target), result);
        emitProgress(this.options.onProgress, { type: 'target-finished', runId, result, done: results.size, total }, this.logger);
        if (results.size === jobs.size) finish();
      };
      const check = async (jobId: string) => {
        const target = jobs.get(jobId)!;
        const disappeared: TargetResult = { state: 'failed', target, error: 'the job disappeared from the queue', attempts: 0, durationMs: 0 };
        // The state first, then the job: a job read while active and found completed a moment
        // later would carry no return value yet.
        const state = await queue.getJobState(jobId);
        if (state === 'unknown') return settle(jobId, disappeared);
        if (state !== 'completed' && state !== 'failed') return;
        const job = await Job.fromId<TargetJobData, TargetResult>(queue, jobId);
        if (!job) return settle(jobId, disappeared);
        if (state === 'completed') settle(jobId, job.returnvalue);
        else settle(jobId, { state: 'failed', target, error: job.failedReason, attempts: job.attemptsMade, durationMs: 0 });
      };
      const onEvent = ({ jobId }: { jobId: string }) => void check(jobId).catch(reject);
      const sweep = () => Promise.all([...jobs.keys()].filter((id) => !results.has(targetId(jobs.get(id)!))).map(check)).catch(reject);
      const timer = setInterval(sweep, this.options.pollIntervalMs ?? 1_000);
      const onAbort = () => {
        for (const [, target] of jobs) {
          if (!results.has(targetId(target))) results.set(targetId(target), { state: 'skipped', target, reason: 'the run stopped waiting; the job stays queued' });
        }
        finish();
      };
      const finish = () => {
        clearInterval(timer);
        events.off('completed', onEvent);
        events.off('failed', onEvent);
        signal?.removeEventListener('abort', onAbort);
        resolve(results);
      };
      events.on('completed', onEvent);
      events.on('failed', onEvent);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (jobs.size === 0) finish();
      void sweep();
    });
  }
}

/** A Redis URL fit for messages: the password replaced. */
function withoutPassword(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}
