// A queue worker in a process of its own, for the distributed tests. Settings come from
// the environment; it prints "took <target>" when it starts a job, so a test can kill it
// while it holds one.
import { S3Client } from '@aws-sdk/client-s3';
import { SnapshotStore } from '@storage-builder/snapshot';
import { createSourcePool } from '@storage-builder/source-db';
import { StorageUpdater } from '../storage-updater';
import { startTargetWorker } from '../distributed/target-worker';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const pool = createSourcePool({ connectionString: env('DATABASE_URL'), max: 4 });
const s3 = new S3Client(JSON.parse(env('S3_CLIENT_CONFIG')));
const store = new SnapshotStore({ s3, bucket: env('S3_BUCKET') });
const holdMs = Number(process.env['HOLD_TARGET_MS'] ?? 0);
const updater = new StorageUpdater({ source: pool, store, maxAttempts: 1 });
// Holding each target a while before it runs gives the test a window to kill this process mid-job.
const announcing: Pick<StorageUpdater, 'runTarget'> = {
  runTarget: async (target, options) => {
    console.log(`took client-${target.clientId}/${target.kind}`);
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    return updater.runTarget(target, options);
  },
};

const worker = startTargetWorker({
  updater: announcing,
  redisUrl: env('REDIS_URL'),
  prefix: env('QUEUE_PREFIX'),
  concurrency: 2,
  lockDurationMs: 2_000,
});
worker.on('ready', () => console.log('ready'));

process.on('SIGTERM', () => {
  void worker.close().then(async () => {
    await pool.end();
    s3.destroy();
    process.exit(0);
  });
});
