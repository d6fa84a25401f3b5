import type pg from 'pg';
import type { Compression, PublisherOptions, SerializerStrategy, SnapshotStore } from '@storage-builder/snapshot';
import { DEFAULT_COMPRESSION, DEFAULT_SERIALIZER_STRATEGY, SERIALIZER_STRATEGIES } from '@storage-builder/snapshot';
import type { VersionTracker } from '@storage-builder/version-tracker';
import { silentLogger, type Logger } from './logger';
import type { ProgressListener } from './progress-events';
import { abortableSleep } from './retry-policy';
import { DEFAULT_LEASE_TTL_MS, defaultLeaseHolder } from './target-lease';

/**
 * How the updater runs. Every fix of the incident is a switch, so the legacy behaviour,
 * each fix alone and all fixes together run on the same data.
 */
export interface UpdaterOptions {
  /** The source database, which also holds the target leases. Give it {@link sourceConnectionsFor}(parallelism) connections. */
  source: pg.Pool;
  store: SnapshotStore;
  /**
   * Where the last successful watermark of a target is cached.
   * @defaultValue none: the target's manifest itself is the record
   */
  tracker?: VersionTracker;
  /**
   * `legacy` reads through the callback provider and serializes one awaited item at a time;
   * `batched` and `streaming` read batches from the change feed.
   * @defaultValue `'streaming'`
   */
  serializer?: SerializerStrategy;
  /**
   * Targets in flight at once; 1 is the legacy sequential loop.
   * @defaultValue {@link DEFAULT_PARALLELISM}
   */
  parallelism?: number;
  /**
   * Read only what changed since the manifest's watermark. Off is the legacy
   * `currentVersion: null`: every run reads everything.
   * @defaultValue `true`
   */
  incremental?: boolean;
  /** @defaultValue `'deflate'` */
  compression?: Compression;
  /** Rows per batch from the change feed. @defaultValue the feed's default */
  feedBatchSize?: number;
  /**
   * Attempts per target for retryable failures, the first included.
   * @defaultValue {@link DEFAULT_MAX_ATTEMPTS}
   */
  maxAttempts?: number;
  /** Chain length and compaction settings of the snapshot publisher. */
  publisher?: Pick<PublisherOptions, 'maxDeltas' | 'maxDeltaBytesRatio' | 'frame' | 'batchSizing'>;
  /** @defaultValue no logs */
  logger?: Logger;
  onProgress?: ProgressListener;
  /** @defaultValue `() => new Date()` */
  clock?: () => Date;
  /** Waits between retries; injected by tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /**
   * Who this writer is, in the lease table and in the messages of writers that find a target taken.
   * @defaultValue `<hostname>/<pid>`
   */
  leaseHolder?: string;
  /**
   * How long a target's lease lasts without renewal; it is renewed every third of this. A
   * writer that stalls longer loses the target to the next writer and can no longer commit.
   * @defaultValue {@link DEFAULT_LEASE_TTL_MS}
   */
  leaseTtlMs?: number;
  /**
   * What to do with a target another writer holds: `skip` it (its result says `held by …`),
   * or `wait` for the lease.
   * @defaultValue `'skip'`
   */
  whenHeld?: 'skip' | 'wait';
  /**
   * Warn when the oldest open transaction in the source is older than this: it holds the
   * watermark back, so every incremental read re-reads what changed since it began.
   * @defaultValue {@link DEFAULT_HORIZON_WARNING_MS}
   */
  horizonWarningMs?: number;
}

export const DEFAULT_PARALLELISM = 4;

/**
 * Source connections an updater needs to never wait on its own pool: per target in flight,
 * one for its read and one for its fenced manifest commit (taken while the read is still
 * open), plus one for lease renewals and checks.
 */
export function sourceConnectionsFor(parallelism: number): number {
  return 2 * parallelism + 1;
}
/** More in flight than this only queues on the database's connections. */
export const MAX_PARALLELISM = 64;
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_HORIZON_WARNING_MS = 10 * 60 * 1000;

export type ResolvedUpdaterOptions = Required<Omit<UpdaterOptions, 'feedBatchSize' | 'onProgress' | 'publisher' | 'tracker'>> &
  Pick<UpdaterOptions, 'feedBatchSize' | 'onProgress' | 'publisher' | 'tracker'>;

export function resolveUpdaterOptions(options: UpdaterOptions): ResolvedUpdaterOptions {
  const resolved: ResolvedUpdaterOptions = {
    source: options.source,
    store: options.store,
    tracker: options.tracker,
    serializer: options.serializer ?? DEFAULT_SERIALIZER_STRATEGY,
    parallelism: options.parallelism ?? DEFAULT_PARALLELISM,
    incremental: options.incremental ?? true,
    compression: options.compression ?? DEFAULT_COMPRESSION,
    feedBatchSize: options.feedBatchSize,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    publisher: options.publisher,
    logger: options.logger ?? silentLogger,
    onProgress: options.onProgress,
    clock: options.clock ?? (() => new Date()),
    sleep: options.sleep ?? abortableSleep,
    random: options.random ?? Math.random,
    horizonWarningMs: options.horizonWarningMs ?? DEFAULT_HORIZON_WARNING_MS,
    leaseHolder: options.leaseHolder ?? defaultLeaseHolder(),
    leaseTtlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
    whenHeld: options.whenHeld ?? 'skip',
  };
  if (resolved.whenHeld !== 'skip' && resolved.whenHeld !== 'wait') throw new Error(`whenHeld is ${JSON.stringify(resolved.whenHeld)}: use 'skip' or 'wait'`);
  if (!Number.isInteger(resolved.leaseTtlMs) || resolved.leaseTtlMs < 1_000) throw new Error(`leaseTtlMs is ${resolved.leaseTtlMs}: use a whole number of milliseconds, at least 1000`);
  if (!(SERIALIZER_STRATEGIES as readonly string[]).includes(resolved.serializer)) {
    throw new Error(`serializer is ${JSON.stringify(resolved.serializer)}: use one of ${SERIALIZER_STRATEGIES.join(', ')}`);
  }
  if (!Number.isInteger(resolved.parallelism) || resolved.parallelism < 1 || resolved.parallelism > MAX_PARALLELISM) {
    throw new Error(`parallelism is ${resolved.parallelism}: use a whole number from 1 (sequential) to ${MAX_PARALLELISM}`);
  }
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1 || resolved.maxAttempts > 20) {
    throw new Error(`maxAttempts is ${resolved.maxAttempts}: use a whole number from 1 to 20`);
  }
  return resolved;
}
