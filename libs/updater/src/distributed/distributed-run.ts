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
 *
 * A deduplicated add returns the other run's job. Its result is this run's only when the
 * attempt that produced it started after this run's add, i.e. read data at least as fresh
 * as this request: it is then reported `completed` with `joined` (the other run's id and
 * when that attempt started). When the attempt that finished had already started at our
 * add (its read may predate this request), the run waits for it to finish, enqueues a
 * fresh job for the target and reports that one. Whether an attempt is newer is told by
 * the job's started-attempts counter read just after the add, not by clocks; a job that
 * became active between the add and that read counts as older, which costs a re-run,
 * never stale data. So a result never passes for data older than the request.
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

    const jobs = new Map<string, TrackedJob>();
    for (const target of targets) {
      const tracked = await this.enqueue(queue, runId, target);
      jobs.set(tracked.jobId, tracked);
    }
    this.logger.log('info', 'distributed run enqueued', { runId, targets: targets.length, jobs: jobs.size, joined: [...jobs.values()].filter((j) => j.joined).length });

    const results = await this.collect({ queue, events }, runId, targets, jobs, runOptions.signal);
    const summary = summarize(runId, startedAt, Date.now() - startedAt.getTime(), 0, targets.map((t) => results.get(targetId(t))!));
    emitProgress(this.options.onProgress, { type: 'run-finished', summary }, this.logger);
    return summary;
  }

  async stop(): Promise<void> {
    const connections = this.connections;
    this.connections = undefined;
    if (connections) await Promise.allSettled([connections.events.close(), connections.queue.close()]);
  }

  /** Adds the target's job, or finds the job of another run it was deduplicated into. */
  private async enqueue(queue: Queue<TargetJobData, TargetResult>, runId: string, target: Target): Promise<TrackedJob> {
    const added = await queue.add(
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
    const jobId = added.id!;
    // BullMQ returns the existing job's id but the data given to add: read the stored job.
    const stored = await Job.fromId<TargetJobData, TargetResult>(queue, jobId);
    if (!stored || stored.data.runId === runId) return { jobId, target };
    this.logger.log('info', 'target joined the job of another run', {
      runId,
      target: targetId(target),
      jobId,
      joinedRunId: stored.data.runId,
      attemptsStarted: stored.attemptsStarted,
      processedOn: stored.processedOn ? new Date(stored.processedOn).toISOString() : undefined,
    });
    return { jobId, target, joined: { runId: stored.data.runId, attemptsStarted: stored.attemptsStarted } };
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
    targets: readonly Target[],
    jobs: Map<string, TrackedJob>,
    signal: AbortSignal | undefined,
  ): Promise<Map<string, TargetResult>> {
    const results = new Map<string, TargetResult>();
    const expected = new Set(targets.map(targetId)).size;
    let finished = false;
    return new Promise((resolve, reject) => {
      const settle = (jobId: string, result: TargetResult) => {
        const tracked = jobs.get(jobId);
        if (finished || !tracked || results.has(targetId(tracked.target))) return;
        results.set(targetId(tracked.target), result);
        emitProgress(this.options.onProgress, { type: 'target-finished', runId, result, done: results.size, total: targets.length }, this.logger);
        if (results.size === expected) finish();
      };
      const check = async (jobId: string) => {
        const tracked = jobs.get(jobId);
        if (!tracked || results.has(targetId(tracked.target))) return;
        const { target, joined } = tracked;
        const disappeared: TargetResult = { state: 'failed', target, error: 'the job disappeared from the queue', attempts: 0, durationMs: 0 };
        // The state first, then the job: a job read while active and found completed a moment
        // later would carry no return value yet.
        const state = await queue.getJobState(jobId);
        if (state === 'unknown') return settle(jobId, disappeared);
        if (state !== 'completed' && state !== 'failed') return;
        const job = await Job.fromId<TargetJobData, TargetResult>(queue, jobId);
        if (!job) return settle(jobId, disappeared);
        if (joined && job.attemptsStarted <= joined.attemptsStarted) {
          // The attempt that finished had started before this run asked: run the target again.
          // Its deduplication key went with it, so this add makes a job (or joins a newer one).
          if (finished || jobs.get(jobId) !== tracked) return;
          jobs.delete(jobId);
          this.logger.log('info', 'the joined job had started before this run: enqueuing the target again', { runId, target: targetId(target), jobId, joinedRunId: joined.runId, state });
          const fresh = await this.enqueue(queue, runId, target);
          if (finished) return;
          jobs.set(fresh.jobId, fresh);
          return check(fresh.jobId);
        }
        if (state === 'completed') settle(jobId, joined ? joinedResult(job, joined.runId) : job.returnvalue);
        else settle(jobId, { state: 'failed', target, error: joined ? `${job.failedReason} (in the job of run ${joined.runId}, which this run joined)` : job.failedReason, attempts: job.attemptsMade, durationMs: 0 });
      };
      const onEvent = ({ jobId }: { jobId: string }) => void check(jobId).catch(reject);
      const sweep = () => Promise.all([...jobs.values()].filter((j) => !results.has(targetId(j.target))).map((j) => check(j.jobId))).catch(reject);
      const timer = setInterval(sweep, this.options.pollIntervalMs ?? 1_000);
      const onAbort = () => {
        for (const target of targets) {
          if (!results.has(targetId(target))) results.set(targetId(target), { state: 'skipped', target, reason: 'the run stopped waiting; the job stays queued' });
        }
        finish();
      };
      const finish = () => {
        finished = true;
        clearInterval(timer);
        events.off('completed', onEvent);
        events.off('failed', onEvent);
        signal?.removeEventListener('abort', onAbort);
        resolve(results);
      };
      events.on('completed', onEvent);
      events.on('failed', onEvent);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (expected === 0) finish();
      void sweep();
    });
  }
}

/** A target's job as this run follows it. */
interface TrackedJob {
  readonly jobId: string;
  readonly target: Target;
  /** Set when the add was deduplicated into another run's job: that run, and how many attempts the job had started just after the add. */
  readonly joined?: { readonly runId: string; readonly attemptsStarted: number };
}

/** The result of a joined job whose finishing attempt started after this run's add. */
function joinedResult(job: Job<TargetJobData, TargetResult>, joinedRunId: string): TargetResult {
  const result = job.returnvalue;
  if (result.state !== 'completed') return result;
  return { ...result, joined: { runId: joinedRunId, startedAt: new Date(job.processedOn ?? job.timestamp).toISOString() } };
}

/** A Redis URL fit for messages: the password replaced. */
function withoutPassword(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}
