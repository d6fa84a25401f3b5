import { targetId, type ChangeBatch, type Target, type Watermark } from '@storage-builder/data-model';
import { LegacyDataProvider, openChangeFeed, targetsChangedSince, type ChangeFeed } from '@storage-builder/source-db';
import {
  inspectChain,
  isSnapshotDamage,
  readTargetManifest,
  SnapshotPublisher,
  verifyTarget,
  type ListedObject,
  type PublishResult,
  type TargetHealth,
  type VerifyOptions,
  serializerStrategy,
} from '@storage-builder/snapshot';
import type { TrackerLookup, VersionTracker } from '@storage-builder/version-tracker';
import { openLegacyFeed } from './legacy-feed';
import { errorMessage, type LogFields } from './logger';
import { firstChange } from './peek-changes';
import { emitProgress, type ProgressEvent } from './progress-events';
import { withRetries } from './retry-policy';
import { decideStartingPoint } from './starting-point';
import { LeaseLostError, TargetLeases, type HeldElsewhere, type HeldLease } from './target-lease';
import type { TargetResult, VerifyResult } from './target-result';
import type { ResolvedUpdaterOptions } from './updater-options';

export interface TargetRunContext {
  readonly runId: string;
  /** Aborts the target in flight: it ends committed or untouched. */
  readonly signal?: AbortSignal | undefined;
  /** Where this target's progress events go. @defaultValue the updater's `onProgress` */
  readonly emit?: ((event: ProgressEvent) => void) | undefined;
  /** Read in full and publish a new base, for this reason (a `verify` that found damage). */
  readonly rebuild?: string | undefined;
}

type Completed = Extract<TargetResult, { state: 'completed' }>;

const ABORTED_BEFORE_START = 'the run was aborted before this target started';

const logFieldsOf = (target: Target, runId: string): LogFields => ({ runId, target: targetId(target), clientId: target.clientId, kind: target.kind });
type AttemptOutcome = Omit<Completed, 'attempts' | 'durationMs' | 'cpuMs'>;

/**
 * One target through the whole path, under the target's lease: decide the starting point,
 * read the changes in one transaction, publish (data object, then manifest inside the
 * lease's fence), then save the tracker. A crash at any step leaves S3 and the tracker
 * consistent: the next run starts from the manifest. A target whose manifest or chain is
 * damaged is rebuilt from a full read.
 */
export class TargetRunner {
  private readonly publisher: SnapshotPublisher;
  private readonly legacyProvider: LegacyDataProvider;
  private readonly leases: TargetLeases;

  constructor(private readonly options: ResolvedUpdaterOptions) {
    this.publisher = new SnapshotPublisher({
      store: options.store,
      strategy: options.serializer,
      compression: options.compression,
      clock: options.clock,
      ...options.publisher,
    });
    this.legacyProvider = new LegacyDataProvider({ source: options.source, batchSize: options.feedBatchSize });
    this.leases = new TargetLeases({ pool: options.source, scope: options.store.location, holder: options.leaseHolder, ttlMs: options.leaseTtlMs, logger: options.logger });
  }

  async run(target: Target, context: TargetRunContext): Promise<TargetResult> {
    const { logger, clock } = this.options;
    const fields = logFieldsOf(target, context.runId);
    const startedAt = clock().getTime();
    const cpuAtStart = process.cpuUsage();
    if (context.signal?.aborted) return { state: 'skipped', target, reason: ABORTED_BEFORE_START };
    const emit = this.emitterFor(context);
    emit({ type: 'target-started', runId: context.runId, target });

    let attempted = 0;
    let lease: HeldLease | undefined;
    try {
      const taken = await this.takeLease(target, context);
      if (taken.state === 'held') {
        const reason = `held by ${taken.holder} (lease until ${taken.expiresAt.toISOString()})`;
        logger.log('info', 'target skipped: another writer holds it', { ...fields, holder: taken.holder });
        return { state: 'skipped', target, reason };
      }
      lease = taken;
      const signal = context.signal ? AbortSignal.any([context.signal, lease.lost]) : lease.lost;
      const { value, attempts } = await withRetries((attempt) => ((attempted = attempt), this.attempt(target, { ...context, signal }, lease!, fields)), {
        maxAttempts: this.options.maxAttempts,
        signal,
        sleep: this.options.sleep,
        random: this.options.random,
        onRetry: ({ attempt, delayMs, rule, error }) => {
          logger.log('warn', 'target attempt failed; retrying', { ...fields, attempt, delayMs, rule, error: errorMessage(error) });
          emit({ type: 'target-retrying', runId: context.runId, target, attempt, delayMs, error: errorMessage(error) });
        },
      });
      const cpu = process.cpuUsage(cpuAtStart);
      const result: Completed = { ...value, attempts, durationMs: clock().getTime() - startedAt, cpuMs: (cpu.user + cpu.system) / 1000 };
      logger.log('info', 'target completed', { ...fields, mode: result.mode, reason: result.reason, rows: result.rows, tombstones: result.tombstones, bytes: result.bytes, durationMs: result.durationMs });
      return result;
    } catch (error) {
      const durationMs = clock().getTime() - startedAt;
      if (context.signal?.aborted) {
        logger.log('warn', 'target aborted; nothing was committed for it', { ...fields, durationMs });
        return { state: 'aborted', target, durationMs };
      }
      if (lease?.lost.aborted || error instanceof LeaseLostError) {
        // Another writer took the target over: it is that writer's to finish.
        const why = errorMessage(lease?.lost.reason ?? error);
        logger.log('warn', 'target lease lost to another writer; nothing more is committed here', { ...fields, error: why, durationMs });
        return { state: 'skipped', target, reason: `lease lost: ${why}` };
      }
      logger.log('error', 'target failed', { ...fields, error: errorMessage(error), durationMs });
      return { state: 'failed', target, error: errorMessage(error), attempts: attempted, durationMs };
    } finally {
      await lease?.release();
    }
  }

  /**
   * The targets of an incremental run with no change since their last commit, and that
   * commit's watermark: two queries for the whole run (the watermarks the leases recorded,
   * then the source's change tracking) and nothing read from the store. Empty for a full run
   * or when the check fails: every target is then run as usual.
   */
  async unchangedTargets(targets: readonly Target[], runId: string): Promise<Map<string, Watermark>> {
    if (!this.options.incremental || targets.length === 0) return new Map();
    try {
      const committed = await this.leases.committedWatermarks(targets);
      const since = targets.flatMap((target) => {
        const watermark = committed.get(targetId(target));
        return watermark === undefined ? [] : [{ target, since: watermark }];
      });
      for (const id of await targetsChangedSince(this.options.source, since)) committed.delete(id);
      return committed;
    } catch (error) {
      this.options.logger.log('warn', 'could not check which targets changed; every target is read', { runId, error: errorMessage(error) });
      return new Map();
    }
  }

  /**
   * A target the run's change check found unchanged: its snapshot stays as committed and
   * nothing is read. A configured tracker is refreshed, as a read that found nothing would,
   * so its entry does not expire while the target is quiet.
   */
  async unchanged(target: Target, watermark: Watermark, context: TargetRunContext): Promise<TargetResult> {
    if (context.signal?.aborted) return { state: 'skipped', target, reason: ABORTED_BEFORE_START };
    this.emitterFor(context)({ type: 'target-started', runId: context.runId, target });
    const trackerError = await this.saveToTracker(target, watermark, context.runId, logFieldsOf(target, context.runId));
    const reason = `nothing changed since watermark ${watermark} (one change check for the run)`;
    return { state: 'completed', target, mode: 'incremental', reason, rows: 0, tombstones: 0, bytes: 0, serializeCalls: 0, objectKey: undefined, watermark, attempts: 0, durationMs: 0, cpuMs: 0, ...trackerError };
  }

  private emitterFor(context: TargetRunContext): (event: ProgressEvent) => void {
    return context.emit ?? ((event: ProgressEvent) => emitProgress(this.options.onProgress, event, this.options.logger));
  }

  /**
   * Checks what the target's manifest names, under the target's lease, and with `heal`
   * rebuilds a damaged target from a full read.
   */
  async verify(target: Target, context: TargetRunContext & { heal: boolean; depth: VerifyOptions['depth'] }): Promise<VerifyResult> {
    const taken = await this.takeLease(target, context);
    if (taken.state === 'held') return { state: 'held', target, holder: taken.holder };
    let health: TargetHealth;
    try {
      health = await verifyTarget(this.options.store, target, { depth: context.depth, signal: context.signal });
    } finally {
      await taken.release();
    }
    if (health.state !== 'broken') return health;
    this.options.logger.log('warn', 'target damaged', { runId: context.runId, target: targetId(target), problem: health.problem });
    if (!context.heal) return health;
    const rebuilt = await this.run(target, { ...context, rebuild: health.problem });
    return rebuilt.state === 'completed' ? { state: 'healed', target, problem: health.problem, result: rebuilt } : { state: 'broken', target, problem: health.problem, rebuild: rebuilt };
  }

  /** The target's lease; waits for it when the updater is set to, else says who holds it. */
  private async takeLease(target: Target, context: TargetRunContext): Promise<HeldLease | HeldElsewhere> {
    for (;;) {
      const taken = await this.leases.acquire(target, context.runId);
      if (taken.state !== 'held' || this.options.whenHeld === 'skip') return taken;
      await this.options.sleep(Math.min(1_000, Math.max(50, taken.expiresAt.getTime() - Date.now())), context.signal);
    }
  }

  private async attempt(target: Target, context: TargetRunContext, fence: HeldLease, fields: LogFields): Promise<AttemptOutcome> {
    const outcome = await this.readAndPublish(target, context, fence, fields);
    if (outcome.state !== 'damaged') return outcome;
    const rebuilt = await this.readAndPublish(target, { ...context, rebuild: outcome.problem }, fence, fields);
    if (rebuilt.state === 'damaged') throw new Error(`${targetId(target)}: a full rebuild reported damage: ${rebuilt.problem}`);
    return rebuilt;
  }

  private async readAndPublish(target: Target, context: TargetRunContext, fence: HeldLease, fields: LogFields): Promise<AttemptOutcome | { state: 'damaged'; problem: string }> {
    const { store, tracker, logger } = this.options;
    const current = await readTargetManifest(store, target);
    const manifestWatermark = current.state === 'valid' ? current.manifest.watermark : undefined;
    const tracked = tracker ? await this.lookUpTracker(tracker, target, fields) : undefined;
    const rebuild = context.rebuild ?? (current.state === 'malformed' ? `the manifest cannot be read (${current.error.message})` : undefined);
    let start = rebuild
      ? ({ mode: 'full', since: null, reason: `rebuilt: ${rebuild}` } as const)
      : decideStartingPoint({ incremental: this.options.incremental, manifestWatermark, tracked: tracked === 'unreachable' ? undefined : tracked });
    if (rebuild) logger.log('warn', 'target damaged; rebuilding it from a full read', { ...fields, problem: rebuild });
    else if (start.mode === 'full' && this.options.incremental) logger.log('info', 'full sync', { ...fields, reason: start.reason });

    let read = await this.openRead(target, start.since);
    try {
      if (read.horizonAgeMs !== undefined && read.horizonAgeMs > this.options.horizonWarningMs) {
        logger.log('warn', 'an old open transaction holds the watermark back', { ...fields, transactionAgeMs: read.horizonAgeMs });
      }
      let batches: AsyncIterable<ChangeBatch> | undefined = read.batches;
      let listed: readonly ListedObject[] | undefined;
      if (start.mode === 'incremental' && current.state === 'valid') {
        batches = await firstChange(read.batches);
        if (!batches) {
          // Nothing changed: keep the manifest as it is; refresh the cache so it does not expire.
          await read.finished();
          const trackerError = await this.saveToTracker(target, manifestWatermark!, context.runId, fields);
          return { state: 'completed', target, mode: start.mode, reason: `${start.reason}; nothing changed`, rows: 0, tombstones: 0, bytes: 0, serializeCalls: 0, objectKey: undefined, watermark: manifestWatermark!, ...trackerError };
        }
        // A delta is appended only to a chain whose objects all exist: one LIST, also used to clean up after the commit.
        const chain = await inspectChain(store, current.manifest);
        if (chain.problem) {
          logger.log('warn', 'target damaged; rebuilding it from a full read', { ...fields, problem: chain.problem });
          await read.close();
          read = await this.openRead(target, null);
          batches = read.batches;
          start = { mode: 'full', since: null, reason: `rebuilt: ${chain.problem}` };
        }
        listed = chain.listed;
      }
      let published: PublishResult;
      try {
        published = await this.publisher.publish({ target, fromWatermark: start.since, toWatermark: read.watermark, batches, signal: context.signal, current, listed, fence });
      } catch (error) {
        // Compaction reads the whole chain: the first to see a corrupt object's content.
        if (start.mode === 'incremental' && isSnapshotDamage(error)) return { state: 'damaged', problem: error.message };
        throw error;
      }
      await read.finished();
      const watermark = published.manifest.watermark as Watermark;
      const trackerError = await this.saveToTracker(target, watermark, context.runId, fields);
      return {
        state: 'completed',
        target,
        mode: start.mode,
        reason: start.reason,
        rows: published.object.rows,
        tombstones: published.object.tombstones,
        bytes: published.object.bytes,
        serializeCalls: published.serialize.serializeCalls,
        objectKey: published.object.key,
        watermark,
        ...trackerError,
      };
    } finally {
      await read.close();
    }
  }

  /**
   * The tracker's version, or `unreachable`: the tracker is a cache of the manifest, so a
   * Redis or database that is down must not stop a target whose manifest can be read.
   */
  private async lookUpTracker(tracker: VersionTracker, target: Target, fields: LogFields): Promise<TrackerLookup | 'unreachable'> {
    try {
      return await tracker.get(target);
    } catch (error) {
      this.options.logger.log('warn', 'version tracker unreachable; the manifest decides where to start', { ...fields, tracker: tracker.kind, error: errorMessage(error) });
      return 'unreachable';
    }
  }

  /** Saves after the manifest commit; a failure is reported, not thrown: the manifest already holds the version. */
  private async saveToTracker(target: Target, watermark: Watermark, runId: string, fields: LogFields): Promise<{ trackerError?: string }> {
    const { tracker } = this.options;
    if (!tracker) return {};
    try {
      await tracker.save(target, { watermark, savedAt: this.options.clock().toISOString(), runId });
      return {};
    } catch (error) {
      this.options.logger.log('warn', 'could not save the version to the tracker; the manifest holds it', { ...fields, tracker: tracker.kind, error: errorMessage(error) });
      return { trackerError: errorMessage(error) };
    }
  }

  /** The change feed, or for the legacy serializer the callback provider the legacy worker used. */
  private async openRead(target: Target, since: Watermark | null): Promise<ReadHandle> {
    const strategy = serializerStrategy(this.options.serializer);
    if (strategy.reads === 'legacy-provider') {
      const legacy = await openLegacyFeed(this.legacyProvider, target, since);
      return { watermark: legacy.watermark, batches: legacy.batches, horizonAgeMs: undefined, finished: () => legacy.finished, close: () => legacy.cancel() };
    }
    const feed: ChangeFeed<ChangeBatch> = await openChangeFeed({
      source: this.options.source,
      clientId: target.clientId,
      kind: target.kind,
      since,
      batchSize: this.options.feedBatchSize,
      rowsAs: strategy.rowsAs,
    });
    return { watermark: feed.watermark, batches: feed.batches(), horizonAgeMs: feed.horizon.oldest?.ageMs, finished: async () => undefined, close: () => feed.close() };
  }
}

interface ReadHandle {
  readonly watermark: Watermark;
  readonly batches: AsyncIterable<ChangeBatch>;
  readonly horizonAgeMs: number | undefined;
  /** Waits for the read to end cleanly. */
  finished(): Promise<void>;
  close(): Promise<void>;
}
