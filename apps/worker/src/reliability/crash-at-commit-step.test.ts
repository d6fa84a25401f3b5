import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetId, type Target } from '@storage-builder/data-model';
import { S3FaultProxy, type FaultRule, type S3Request } from '@storage-builder/services/testing';
import { applyChurn } from '@storage-builder/source-db';
import { targetsOf } from '@storage-builder/updater';
import { RedisVersionTracker } from '@storage-builder/version-tracker';
import { WORKER_TEST_PROFILE, workerFixture, type WorkerFixture } from '../testing/worker-fixture';
import { finishedRun, startUpdateAll, startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

// The worker process is SIGKILLed at each step of the big target's commit, with the step
// reached for certain: a fault proxy in front of the object store holds the request that
// marks it. The next run of a fresh worker must converge to exactly the database's rows.

const BIG: Target = { clientId: 1, kind: 'raw-data' };
const ALL_TARGETS = targetsOf(Array.from({ length: WORKER_TEST_PROFILE.clients }, (_, i) => i + 1));

let fixture: WorkerFixture;
let proxy: S3FaultProxy;
const started: WorkerProcess[] = [];

beforeAll(async () => {
  fixture = await workerFixture('worker-crash');
  proxy = await S3FaultProxy.start(fixture.services.objectStore.connection.endpoint);
});
afterAll(async () => {
  for (const worker of started) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  await Promise.all(started.map((worker) => worker.exited));
  await proxy?.stop();
  await fixture?.[Symbol.asyncDispose]();
});

const trackerKeyPrefix = (prefix: string) => `${fixture.services.redis.keyPrefix}${prefix}:`;

function startWorker(prefix: string): Promise<WorkerProcess> {
  // One target at a time, the big one first; Redis as the tracker so the last step has something to miss.
  // A short lease: the killed worker's target is free again by the time the fresh worker runs.
  const env = fixture.env({ S3_ENDPOINT: proxy.url, S3_PREFIX: prefix, PARALLELISM: '1', COMPRESSION: 'none', TRACKER: 'redis', TRACKER_KEY_PREFIX: trackerKeyPrefix(prefix), LEASE_TTL_SECONDS: '1' });
  return startWorkerProcess(env).then((worker) => {
    started.push(worker);
    return worker;
  });
}

async function kill(worker: WorkerProcess): Promise<void> {
  worker.child.kill('SIGKILL');
  await worker.exited;
}

const dataObjectOf = (prefix: string) => (r: S3Request) => r.key.startsWith(`${prefix}/${targetId(BIG)}/g`) && r.key.endsWith('.snap');
const manifestOf = (prefix: string) => (r: S3Request) => r.key === `${prefix}/${targetId(BIG)}/manifest.json` && r.operation === 'PutObject';

interface CrashStep {
  readonly step: string;
  rule(prefix: string): FaultRule;
  /** What must hold at the moment of the kill, so the step is the one named. */
  atKill(prefix: string): Promise<void>;
}

const STEPS: CrashStep[] = [
  {
    step: 'while reading, before any data reached the store',
    rule: (prefix) => ({ matches: dataObjectOf(prefix), fault: { kind: 'hold' }, times: 1 }),
    atKill: async () => {
      const open = await fixture.pool.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND query ILIKE 'copy%'",
      );
      expect(open.rows[0].n, 'the feed transaction is open').toBeGreaterThan(0);
    },
  },
  {
    step: 'mid-upload, one part stored',
    rule: (prefix) => ({ matches: (r) => dataObjectOf(prefix)(r) && r.operation === 'UploadPart', fault: { kind: 'hold-response' }, times: 1 }),
    atKill: async () => undefined,
  },
  {
    step: 'after the data upload, before the manifest',
    rule: (prefix) => ({ matches: manifestOf(prefix), fault: { kind: 'hold' }, times: 1 }),
    atKill: async (prefix) => {
      const keys = await fixture.objectKeys(`${prefix}/${targetId(BIG)}/`);
      expect(keys.filter((k) => k.endsWith('.snap')), 'the data object is complete').toHaveLength(1);
      expect(keys.filter((k) => k.endsWith('manifest.json'))).toEqual([]);
    },
  },
  {
    step: 'after the manifest, before the tracker save',
    rule: (prefix) => ({ matches: manifestOf(prefix), fault: { kind: 'hold-response' }, times: 1 }),
    atKill: async (prefix) => {
      expect(await fixture.objectKeys(`${prefix}/${targetId(BIG)}/manifest.json`)).toHaveLength(1);
    },
  },
];

describe('SIGKILL at each step of a target commit', () => {
  it.each(STEPS.map((s, i) => [s.step, i] as const))('%s: the next run converges with nothing lost or duplicated', async (_name, index) => {
    const step = STEPS[index]!;
    const prefix = `crash-${index}`;
    const uploadsBefore = (await fixture.s3rverOpenUploads())?.length;

    const crashing = await startWorker(prefix);
    const fault = proxy.inject(step.rule(prefix));
    await startUpdateAll(crashing);
    await fault.reached;
    await step.atKill(prefix);
    await kill(crashing);
    fault.remove();

    // The source moves on while the worker is down, including rows of the crashed target.
    await applyChurn(fixture.pool, { rate: 0.01, seed: 100 + index, clientIds: [1, 2], outOfOrder: true });

    // The killed worker's lease of the big target lapses after LEASE_TTL_SECONDS; until then a new writer would skip it.
    await expect.poll(async () => (await fixture.pool.query("SELECT count(*)::int AS n FROM target_leases WHERE expires_at > now()")).rows[0].n, { timeout: 10_000 }).toBe(0);
    const worker = await startWorker(prefix);
    const runId = await startUpdateAll(worker);
    const run = await finishedRun(worker, runId);
    expect(run).toMatchObject({ status: 'completed', totals: { targets: ALL_TARGETS.length, failed: 0 } });
    expect(await worker.terminate()).toBe(0);
    expect(worker.logs.find((l) => l.message === 'worker stopped')).toMatchObject({ openMultipartUploads: 0 });

    for (const target of ALL_TARGETS) {
      const state = await fixture.targetState(prefix, target);
      expect(state.state, targetId(target)).toBe('committed');
      if (state.state === 'committed') expect(state.rows, targetId(target)).toEqual(await fixture.databaseRows(target));
    }
    // Only the data object the manifest names is left: a crashed attempt's object is swept.
    const manifest = JSON.parse((await fixture.store(prefix).getText(`${prefix}/${targetId(BIG)}/manifest.json`))!.text) as { watermark: string; base: { key: string } };
    expect(await fixture.objectKeys(`${prefix}/${targetId(BIG)}/`)).toEqual([manifest.base.key, `${prefix}/${targetId(BIG)}/manifest.json`].sort());

    // The tracker agrees with the manifest again.
    const tracker = new RedisVersionTracker({ redis: fixture.services.redis.url, keyPrefix: trackerKeyPrefix(prefix) });
    try {
      expect(await tracker.get(BIG)).toMatchObject({ state: 'found', version: { watermark: manifest.watermark } });
    } finally {
      await tracker.stop();
    }

    // A killed multipart upload stays open at the store (the bucket's lifecycle rule aborts
    // it); the clean run adds none.
    const uploadsAfter = (await fixture.s3rverOpenUploads())?.length;
    if (uploadsBefore !== undefined) expect(uploadsAfter! - uploadsBefore).toBe(step.step.startsWith('mid-upload') ? 1 : 0);
  });
});
