import type { S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { SnapshotStore } from '@storage-builder/snapshot';
import { createSourcePool } from '@storage-builder/source-db';
import { StorageUpdater, sourceConnectionsFor, type Logger, type UpdaterOptions } from '@storage-builder/updater';
import { PostgresVersionTracker, RedisVersionTracker, type VersionTracker } from '@storage-builder/version-tracker';
import type { RuntimeConfig } from '../config/worker-config';
import { createS3Client } from './s3-client';

export interface WorkerRuntimeOptions {
  readonly logger: Logger;
  /**
   * Targets this process may run at once besides `config.parallelism` (the queue consumer's
   * concurrency): the pool is sized for all of them. @defaultValue 0
   */
  readonly extraParallelTargets?: number;
}

/** What the updater runs on, in the per-run settings of the configuration; these callers vary the rest. */
export type UpdaterOverrides = Omit<UpdaterOptions, 'source' | 'store' | 'tracker' | 'leaseTtlMs'>;

/**
 * The source pool, S3 client, snapshot store and version tracker one process works with,
 * built from the validated configuration, and the updaters over them. The worker, the CLI
 * and the benchmark children all start here, so that every variable means the same in each.
 */
export interface WorkerRuntime extends AsyncDisposable {
  readonly config: RuntimeConfig;
  readonly pool: pg.Pool;
  readonly s3: S3Client;
  readonly store: SnapshotStore;
  /** Undefined: the manifest tracker, the updater's default. */
  readonly tracker: VersionTracker | undefined;
  /** An updater with the configuration's serializer, compression, parallelism, incremental switch and lease, and `overrides` on top. */
  updater(overrides?: UpdaterOverrides): StorageUpdater;
  /** Closes the tracker, the S3 client and the pool; once. */
  close(): Promise<void>;
}

export function openWorkerRuntime(config: RuntimeConfig, { logger, extraParallelTargets = 0 }: WorkerRuntimeOptions): WorkerRuntime {
  const pool = createSourcePool({ connectionString: config.databaseUrl, max: sourceConnectionsFor(config.parallelism + extraParallelTargets) });
  pool.on('error', (error) => logger.log('warn', 'idle database connection failed', { error: error.message }));
  const s3 = createS3Client(config.s3);
  const store = new SnapshotStore({ s3, bucket: config.s3.bucket, prefix: config.s3.prefix, logger: { warn: (message, fields) => logger.log('warn', message, fields) } });
  const tracker = trackerOf(config, pool);
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      try {
        await tracker?.stop();
      } finally {
        s3.destroy();
        await pool.end();
      }
    })());
  return {
    config,
    pool,
    s3,
    store,
    tracker,
    updater: (overrides = {}) =>
      new StorageUpdater({
        serializer: config.serializer,
        compression: config.compression,
        parallelism: config.parallelism,
        incremental: config.incremental,
        logger,
        ...overrides,
        source: pool,
        store,
        tracker,
        leaseTtlMs: config.leaseTtlSeconds * 1000,
      }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function trackerOf(config: RuntimeConfig, pool: pg.Pool): VersionTracker | undefined {
  switch (config.tracker) {
    case 'redis':
      return new RedisVersionTracker({ redis: config.redisUrl!, keyPrefix: config.trackerKeyPrefix });
    case 'postgres':
      return new PostgresVersionTracker({ database: pool });
    case 'manifest':
      return undefined;
  }
}
