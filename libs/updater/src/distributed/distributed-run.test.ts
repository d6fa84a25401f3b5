import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWatermark, targetId, type Target } from '@storage-builder/data-model';
import { applyChurn } from '@storage-builder/source-db';
import type { Logger } from '../logger';
import { targetsOf, type StorageUpdater } from '../storage-updater';
import type { TargetResult } from '../target-result';
import { updaterFixture } from '../testing/updater-fixture';
import { DistributedRunner } from './distributed-run';
import { startTargetWorker } from './target-worker';

const WORKER = fileURLToPath(new URL('../testing/queue-worker-process.ts', import.meta.url));

let fixture: Awaited<ReturnType<typeof updaterFixture>>;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  fixture = await updaterFixture('distributed-test');
});
afterAll(async () => {
  await Promise.all(workers.filter((w) => w.exitCode === null && w.signalCode === null).map(stopWorker));
  await fixture?.[Symbol.asyncDispose]();
});

interface WorkerHandle {
  process: ChildProcess;
  took: string[];
}

function startWorker(holdMs: number): Promise<WorkerHandle> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: {
      ...process.env,
      DATABASE_URL: fixture.services.postgres.url,
      S3_CLIENT_CONFIG: JSON.stringify(fixture.services.objectStore.clientConfig),
      S3_BUCKET: fixture.services.objectStore.bucket,
      REDIS_URL: fixture.services.redis.url,
      QUEUE_PREFIX: `${fixture.services.redis.keyPrefix}queue`,
      HOLD_TARGET_MS: String(holdMs),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  workers.push(child);
  const handle: WorkerHandle = { process: child, took: [] };
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      for (const line of text.split('\n')) {
        if (line === 'ready') resolve(handle);
        if (line.startsWith('took ')) handle.took.push(line.slice(5));
      }
    });
  });
}

function stopWorker(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function expectSnapshotsMatchDatabase(targets: readonly Target[]): Promise<void> {
  for (const target of targets) {
    const [snapshot, database] = await Promise.all([fixture.snapshotRows(target), fixture.databaseRows(target)]);
    expect(snapshot, targetId(target)).toEqual(database);
  }
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A logger whose `logged(match)` resolves once a matching message was logged. */
function recordingLogger() {
  const messages: string[] = [];
  const waiting: Array<{ match: RegExp; resolve: () => void }> = [];
  const logger: Logger = {
    log(_level, message) {
      messages.push(message);
      for (const w of waiting) if (w.match.test(message)) w.resolve();
    },
  };
  const logged = (match: RegExp) => (messages.some((m) => match.test(m)) ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ match, resolve })));
  return { logger, logged };
}

/** A fake updater for the queue wiring: it records each execution's run and start, and can hold the executions of one run. */
function recordingUpdater(holdRun?: string) {
  const calls: Array<{ runId: string; startedAt: number }> = [];
  const held = deferred();
  const release = deferred();
  const updater: Pick<StorageUpdater, 'runTarget'> = {
    runTarget: async (target, options) => {
      calls.push({ runId: options.runId, startedAt: Date.now() });
      if (options.runId === holdRun) {
        held.resolve();
        await release.promise;
      }
      const result: TargetResult = { state: 'completed', target, mode: 'full', reason: `read for ${options.runId}`, rows: 0, tombstones: 0, bytes: 0, serializeCalls: 0, objectKey: undefined, watermark: parseWatermark('1'), attempts: 1, durationMs: 0, cpuMs: 0 };
      return result;
    },
  };
  return { updater, calls, held: held.promise, release: release.resolve };
}

describe('distributed UpdateAll on BullMQ', () => {
  it('shares one run among three worker processes; a killed worker’s targets are finished by the others', async () => {
    const handles = await Promise.all([startWorker(300), startWorker(300), startWorker(300)]);
    const runner = new DistributedRunner({ redisUrl: fixture.services.redis.url, prefix: `${fixture.services.redis.keyPrefix}queue`, pollIntervalMs: 250 });
    const targets = targetsOf([1, 2, 3]);
    try {
      // Kill the first worker as soon as it holds a job: its lock lapses and the job moves on.
      const victim = handles[0]!;
      const killed = new Promise<string>((resolve) => {
        const watch = setInterval(() => {
          if (victim.took.length > 0) {
            clearInterval(watch);
            victim.process.kill('SIGKILL');
            resolve(victim.took[0]!);
          }
        }, 20);
      });
      const summary = await runner.run(targets);
      const lostTarget = await killed;

      expect(summary.results.map((r) => r.state)).toEqual(Array(15).fill('completed'));
      expect(new Set(summary.results.map((r) => targetId(r.target))).size).toBe(15);
      const survivors = [handles[1]!, handles[2]!];
      expect(survivors.every((h) => h.took.length > 0)).toBe(true);
      // The job the killed worker held was taken over and finished by a survivor.
      expect(survivors.flatMap((h) => h.took)).toContain(lostTarget);
      await expectSnapshotsMatchDatabase(targets);

      // A second run after churn reads incrementally on the surviving workers.
      await applyChurn(fixture.pool, { rate: 0.05, seed: 21, outOfOrder: true });
      const second = await runner.run(targets);
      expect(second.completed.incremental).toBe(15);
      await expectSnapshotsMatchDatabase(targets);
    } finally {
      await runner.stop();
    }
  });

  it('a run that finds its target running for another run waits for it, then runs the target again for itself', async () => {
    const settings = { redisUrl: fixture.services.redis.url, prefix: `${fixture.services.redis.keyPrefix}dedup-active`, pollIntervalMs: 100 };
    const [target] = targetsOf([1]);
    const fake = recordingUpdater('run-a');
    const worker = startTargetWorker({ ...settings, concurrency: 2, updater: fake.updater });
    const logsB = recordingLogger();
    const runnerA = new DistributedRunner(settings);
    const runnerB = new DistributedRunner({ ...settings, logger: logsB.logger });
    try {
      const first = runnerA.run([target!], { runId: 'run-a' });
      await fake.held;
      // Run b asks while run a's job reads: the queue hands run b that job.
      const second = runnerB.run([target!], { runId: 'run-b' });
      await logsB.logged(/joined the job of another run/);
      fake.release();
      const [a, b] = await Promise.all([first, second]);

      expect(a.results).toEqual([expect.objectContaining({ state: 'completed', reason: 'read for run-a' })]);
      // Run b reports a read of its own, started after it asked, not run a's older one.
      expect(b.results).toEqual([expect.objectContaining({ state: 'completed', reason: 'read for run-b' })]);
      expect(b.results[0]).not.toHaveProperty('joined');
      expect(fake.calls.map((c) => c.runId)).toEqual(['run-a', 'run-b']);
      expect(fake.calls[1]!.startedAt).toBeGreaterThanOrEqual(Date.parse(b.startedAt));
    } finally {
      await Promise.all([runnerA.stop(), runnerB.stop()]);
      await worker.close();
    }
  });

  it('a run that finds its target queued but not started for another run joins that job and says so', async () => {
    const settings = { redisUrl: fixture.services.redis.url, prefix: `${fixture.services.redis.keyPrefix}dedup-waiting`, pollIntervalMs: 100 };
    const [target] = targetsOf([1]);
    const fake = recordingUpdater();
    const logsA = recordingLogger();
    const logsB = recordingLogger();
    const runnerA = new DistributedRunner({ ...settings, logger: logsA.logger });
    const runnerB = new DistributedRunner({ ...settings, logger: logsB.logger });
    let worker: ReturnType<typeof startTargetWorker> | undefined;
    try {
      // No worker yet: run a's job waits, and run b's add finds it.
      const first = runnerA.run([target!], { runId: 'run-a' });
      await logsA.logged(/distributed run enqueued/);
      const second = runnerB.run([target!], { runId: 'run-b' });
      await logsB.logged(/distributed run enqueued/);
      worker = startTargetWorker({ ...settings, updater: fake.updater });
      const [a, b] = await Promise.all([first, second]);

      expect(fake.calls.map((c) => c.runId)).toEqual(['run-a']);
      expect(a.results[0]).toMatchObject({ state: 'completed', reason: 'read for run-a' });
      expect(a.results[0]).not.toHaveProperty('joined');
      const joined = b.results[0]!;
      expect(joined).toMatchObject({ state: 'completed', reason: 'read for run-a', joined: { runId: 'run-a', startedAt: expect.any(String) } });
      // The joined read started after run b asked.
      expect(joined.state === 'completed' && Date.parse(joined.joined!.startedAt)).toBeGreaterThanOrEqual(Date.parse(b.startedAt));
    } finally {
      await Promise.all([runnerA.stop(), runnerB.stop()]);
      await worker?.close();
    }
  });

  it('says at start that Redis cannot be reached', async () => {
    const runner = new DistributedRunner({ redisUrl: 'redis://127.0.0.1:9' });
    try {
      await expect(runner.check()).rejects.toThrow(/the target queue cannot reach Redis at redis:\/\/127.0.0.1:9/);
    } finally {
      await runner.stop();
    }
  });
});
