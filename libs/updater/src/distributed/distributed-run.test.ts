import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetId, type Target } from '@storage-builder/data-model';
import { applyChurn } from '@storage-builder/source-db';
import { targetsOf } from '../storage-updater';
import { updaterFixture } from '../testing/updater-fixture';
import { DistributedRunner } from './distributed-run';

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

  it('says at start that Redis cannot be reached', async () => {
    const runner = new DistributedRunner({ redisUrl: 'redis://127.0.0.1:9' });
    try {
      await expect(runner.check()).rejects.toThrow(/the target queue cannot reach Redis at redis:\/\/127.0.0.1:9/);
    } finally {
      await runner.stop();
    }
  });
});
