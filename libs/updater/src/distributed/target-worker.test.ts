import { Queue, type Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseWatermark, type Target } from '@storage-builder/data-model';
import type { LogFields, Logger, LogLevel } from '../logger';
import type { StorageUpdater } from '../storage-updater';
import type { TargetResult } from '../target-result';
import { updaterFixture } from '../testing/updater-fixture';
import { connectionOf, DEFAULT_QUEUE_NAME, resolveQueueSettings, type TargetJobData } from './queue-settings';
import { startTargetWorker } from './target-worker';

// The queue wiring alone: real Redis and BullMQ, a fake updater that records each call's signal.

let fixture: Awaited<ReturnType<typeof updaterFixture>>;
let redis: Redis;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  fixture = await updaterFixture('target-worker-test');
  redis = new Redis(fixture.services.redis.url);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  redis?.disconnect();
  await fixture?.[Symbol.asyncDispose]();
});

const TARGET: Target = { clientId: 1, kind: 'raw-data' };

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function aborted(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function completed(target: Target, reason: string): TargetResult {
  return { state: 'completed', target, mode: 'full', reason, rows: 0, tombstones: 0, bytes: 0, serializeCalls: 0, objectKey: undefined, watermark: parseWatermark('1'), attempts: 1, durationMs: 0, cpuMs: 0 };
}

function recordingLogger() {
  const lines: Array<{ level: LogLevel; message: string; fields?: LogFields | undefined }> = [];
  const waiting: Array<{ match: RegExp; resolve: () => void }> = [];
  const logger: Logger = {
    log(level, message, fields) {
      lines.push({ level, message, fields });
      for (const w of waiting) if (w.match.test(message)) w.resolve();
    },
  };
  /** Resolves once a line whose message matches has been logged. */
  const logged = (match: RegExp) => (lines.some((l) => match.test(l.message)) ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ match, resolve })));
  return { logger, lines, logged };
}

function queueFor(label: string) {
  const settings = { redisUrl: fixture.services.redis.url, prefix: `${fixture.services.redis.keyPrefix}${label}`, lockDurationMs: 1_000 };
  const queue = new Queue<TargetJobData, TargetResult>(DEFAULT_QUEUE_NAME, { connection: connectionOf(resolveQueueSettings(settings)), prefix: settings.prefix });
  cleanups.push(() => queue.close());
  return { settings, queue, lockKey: (jobId: string) => `${settings.prefix}:${DEFAULT_QUEUE_NAME}:${jobId}:lock` };
}

function started(worker: Worker): Worker {
  cleanups.push(() => worker.close());
  return worker;
}

interface Execution {
  readonly worker: string;
  readonly runId: string;
  readonly signal: AbortSignal;
}

describe('startTargetWorker and job locks', () => {
  it('aborts a target whose lock this worker lost; the worker that took the job over records the only result', async () => {
    const { settings, queue, lockKey } = queueFor('lock-lost');
    const executions: Execution[] = [];
    const firstStarted = deferred();
    const takenOver = deferred();
    const fakeUpdater = (worker: string): Pick<StorageUpdater, 'runTarget'> => ({
      runTarget: async (target, options) => {
        const n = executions.push({ worker, runId: options.runId, signal: options.signal! });
        if (n > 1) return completed(target, `execution ${n} on ${worker}`);
        firstStarted.resolve();
        // The stale execution: it notices the abort, and ends only after the new owner finished.
        await aborted(options.signal!);
        await takenOver.promise;
        return { state: 'aborted', target, durationMs: 0 };
      },
    });
    const logsA = recordingLogger();
    const outcomes: string[] = [];
    const a = started(startTargetWorker({ ...settings, updater: fakeUpdater('a'), logger: logsA.logger }));
    a.on('completed', () => outcomes.push('a completed'));
    a.on('failed', () => outcomes.push('a failed'));
    await a.waitUntilReady();

    const job = await queue.add('target', { runId: 'run-1', clientId: TARGET.clientId, kind: TARGET.kind });
    await firstStarted.promise;
    const b = started(startTargetWorker({ ...settings, updater: fakeUpdater('b') }));
    b.on('completed', () => (outcomes.push('b completed'), takenOver.resolve()));
    b.on('failed', () => outcomes.push('b failed'));

    // As if the lock had expired: worker a's next renewal fails, and the job is up for the taking.
    expect(await redis.del(lockKey(job.id!))).toBe(1);
    await aborted(executions[0]!.signal);
    expect(String(executions[0]!.signal.reason)).toMatch(/lock/);

    await takenOver.promise;
    // The stale attempt's failure is refused by BullMQ (its token holds no lock) and logged.
    await logsA.logged(/attempt dropped/);
    expect(logsA.lines.find((l) => /attempt dropped/.test(l.message))?.fields?.['error']).toMatch(/^(Missing lock|Lock mismatch) for job /);

    expect(executions.map((e) => e.worker)).toEqual(['a', 'b']);
    expect(executions[1]!.signal.aborted).toBe(false);
    const stored = (await queue.getJob(job.id!))!;
    expect(await stored.getState()).toBe('completed');
    expect(stored.returnvalue).toMatchObject({ state: 'completed', reason: 'execution 2 on b' });
    expect(stored.attemptsMade).toBe(1);
    expect(outcomes).toEqual(['b completed']);
  });

  it('aborts a target when the event loop stalled past its lock; the job runs again and completes once', async () => {
    const { settings, queue } = queueFor('stalled-loop');
    const executions: Execution[] = [];
    const logs = recordingLogger();
    const worker = started(
      startTargetWorker({
        ...settings,
        logger: logs.logger,
        updater: {
          runTarget: async (target, options) => {
            const n = executions.push({ worker: 'a', runId: options.runId, signal: options.signal! });
            if (n > 1) return completed(target, `execution ${n}`);
            // CPU-starved: nothing else runs here, neither the lock renewal, for 2.5 locks.
            const until = Date.now() + 2.5 * settings.lockDurationMs;
            while (Date.now() < until);
            await aborted(options.signal!);
            return { state: 'aborted', target, durationMs: 0 };
          },
        },
      }),
    );
    const outcomes: string[] = [];
    const done = deferred();
    worker.on('completed', () => (outcomes.push('completed'), done.resolve()));
    worker.on('failed', () => outcomes.push('failed'));

    const job = await queue.add('target', { runId: 'run-1', clientId: TARGET.clientId, kind: TARGET.kind });
    await done.promise;

    expect(executions).toHaveLength(2);
    expect(executions[0]!.signal.aborted).toBe(true);
    expect(String(executions[0]!.signal.reason)).toMatch(/lock/);
    expect(executions[1]!.signal.aborted).toBe(false);
    await logs.logged(/attempt dropped/);
    const stored = (await queue.getJob(job.id!))!;
    expect(stored.returnvalue).toMatchObject({ state: 'completed', reason: 'execution 2' });
    expect(stored.attemptsMade).toBe(1);
    expect(outcomes).toEqual(['completed']);
  });

  it('aborts the targets in flight on its own signal and on a close that does not wait; a plain close lets them finish', async () => {
    const signals: AbortSignal[] = [];
    const startedOne = [deferred(), deferred(), deferred()];
    const release = deferred();
    const stop = new AbortController();
    const updater: Pick<StorageUpdater, 'runTarget'> = {
      runTarget: async (target, options) => {
        signals.push(options.signal!);
        startedOne[signals.length - 1]!.resolve();
        await Promise.race([aborted(options.signal!), release.promise]);
        return options.signal!.aborted ? { state: 'aborted', target, durationMs: 0 } : completed(target, 'finished');
      },
    };
    const data = { runId: 'run-1', clientId: TARGET.clientId, kind: TARGET.kind };

    let { settings, queue } = queueFor('closing-signal');
    const first = started(startTargetWorker({ ...settings, updater, signal: stop.signal }));
    const failed = deferred();
    first.on('failed', () => failed.resolve());
    await queue.add('target', data, { attempts: 1 });
    await startedOne[0]!.promise;
    stop.abort(new Error('the stop deadline was reached'));
    await failed.promise;
    expect(String(signals[0]!.reason)).toMatch(/the stop deadline was reached/);
    await first.close();

    ({ settings, queue } = queueFor('closing-force'));
    const second = started(startTargetWorker({ ...settings, updater }));
    await queue.add('target', data, { attempts: 1 });
    await startedOne[1]!.promise;
    await second.close(true);
    expect(String(signals[1]!.reason)).toMatch(/closed without waiting/);

    ({ settings, queue } = queueFor('closing-wait'));
    const third = started(startTargetWorker({ ...settings, updater }));
    const job = await queue.add('target', data, { attempts: 1 });
    await startedOne[2]!.promise;
    const closing = third.close();
    release.resolve();
    await closing;
    expect(signals[2]!.aborted).toBe(false);
    expect(await queue.getJobState(job.id!)).toBe('completed');
  });
});
