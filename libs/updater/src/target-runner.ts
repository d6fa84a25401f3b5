import { targetId, type ChangeBatch, type Target, type Watermark } from '@storage-builder/data-model';
import { LegacyDataProvider, openChangeFeed, type ChangeFeed } from '@storage-builder/source-db';
import { readManifest, SnapshotPublisher } from '@storage-builder/snapshot';
import type { TrackerLookup } from '@storage-builder/version-tracker';
import { openLegacyFeed } from './legacy-feed';
import { errorMessage, type LogFields } from './logger';
import { firstChange } from './peek-changes';
import { emitProgress, type ProgressEvent } from './progress-events';
import { withRetries } from './retry-policy';
import { decideStartingPoint } from './starting-point';
import type { TargetResult } from './target-result';
import type { ResolvedUpdaterOptions } from './updater-options';

export interface TargetRunContext {
  readonly runId: string;
  /** Aborts the target in flight: it ends committed or untouched. */
  readonly signal?: AbortSignal | undefined;
  /** Where this target's progress events go. @defaultValue the updater's `onProgress` */
  readonly emit?: ((event: ProgressEvent) => void) | undefined;
}

type Completed = Extract<TargetResult, { state: 'completed' }>;

/**
 * One target through the whole path: decide the starting point, read the changes in one
 * transaction, publish (data object, then manifest), then save the tracker. A crash at
 * any step leaves S3 and the tracker consistent: the next run starts from the manifest.
 */
export class TargetRunner {
  private readonly publisher: SnapshotPublisher;
  private readonly legacyProvider: LegacyDataProvider;

  constructor(private readonly options: ResolvedUpdaterOptions) {
    this.publisher = new SnapshotPublisher({
      store: options.store,
      strategy: options.serializer,
      compression: options.compression,
      clock: options.clock,
      ...options.publisher,
    });
    this.legacyProvider = new LegacyDataProvider({ source: options.source, batchSize: options.feedBatchSize });
  }

  async run(target: Target, context: TargetRunContext): Promise<TargetResult> {
    const { logger, clock } = this.options;
    const fields: LogFields = { runId: context.runId, target: targetId(target), clientId: target.clientId, kind: target.kind };
    const startedAt = clock().getTime();
    const cpuAtStart = process.cpuUsage();
    if (context.signal?.aborted) return { state: 'skipped', target, reason: 'the run was aborted before this target started' };
    const emit = context.emit ?? ((event: ProgressEvent) => emitProgress(this.options.onProgress, event, logger));
    emit({ type: 'target-started', runId: context.runId, target });

    let attempted = 0;
    try {
      const { value, attempts } = await withRetries((attempt) => ((attempted = attempt), this.attempt(target, context, fields)), {
        maxAttempts: this.options.maxAttempts,
        signal: context.signal,
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
      logger.log('error', 'target failed', { ...fields, error: errorMessage(error), durationMs });
      return { state: 'failed', target, error: errorMessage(error), attempts: attempted, durationMs };
    }
  }

  private async attempt(target: Target, context: TargetRunContext, fields: LogFields): Promise<Omit<Completed, 'attempts' | 'durationMs' | 'cpuMs'>> {
    const { store, tracker, logger } = this.options;
    const manifest = await readManifest(store, target);
    const manifestWatermark = manifest ? (manifest.manifest.watermark as Watermark) : undefined;
    const tracked = tracker.kind === 'manifest' ? undefined : await this.lookUpTracker(target, fields);
    const start = decideStartingPoint({ incremental: this.options.incremental, manifestWatermark, tracked: tracked === 'unreachable' ? undefined : tracked });
    if (start.mode === 'full' && this.options.incremental) logger.log('info', 'full sync', { ...fields, reason: start.reason });

    const read = await this.openRead(target, start.since);
    try {
      if (read.horizonAgeMs !== undefined && read.horizonAgeMs > this.options.horizonWarningMs) {
        logger.log('warn', 'an old open transaction holds the watermark back', { ...fields, transactionAgeMs: read.horizonAgeMs });
      }
      let batches: AsyncIterable<ChangeBatch> | undefined = read.batches;
      if (start.mode === 'incremental') {
        batches = await firstChange(read.batches);
        if (!batches) {
          // Nothing changed: keep the manifest as it is; refresh the cache so it does not expire.
          await read.finished();
          const trackerError = await this.saveToTracker(target, manifestWatermark!, context.runId, fields);
          return { state: 'completed', target, mode: start.mode, reason: `${start.reason}; nothing changed`, rows: 0, tombstones: 0, bytes: 0, serializeCalls: 0, objectKey: undefined, watermark: manifestWatermark!, ...trackerError };
        }
      }
      const published = await this.publisher.publish({ target, fromWatermark: start.since, toWatermark: read.watermark, batches, signal: context.signal });
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
  private async lookUpTracker(target: Target, fields: LogFields): Promise<TrackerLookup | 'unreachable'> {
    try {
      return await this.options.tracker.get(target);
    } catch (error) {
      this.options.logger.log('warn', 'version tracker unreachable; the manifest decides where to start', { ...fields, tracker: this.options.tracker.kind, error: errorMessage(error) });
      return 'unreachable';
    }
  }

  /** Saves after the manifest commit; a failure is reported, not thrown: the manifest already holds the version. */
  private async saveToTracker(target: Target, watermark: Watermark, runId: string, fields: LogFields): Promise<{ trackerError?: string }> {
    try {
      await this.options.tracker.save(target, { watermark, savedAt: this.options.clock().toISOString(), runId });
      return {};
    } catch (error) {
      this.options.logger.log('warn', 'could not save the version to the tracker; the manifest holds it', { ...fields, tracker: this.options.tracker.kind, error: errorMessage(error) });
      return { trackerError: errorMessage(error) };
    }
  }

  /** The change feed, or for the legacy serializer the callback provider the legacy worker used. */
  private async openRead(target: Target, since: Watermark | null): Promise<ReadHandle> {
    if (this.options.serializer === 'legacy') {
      const legacy = await openLegacyFeed(this.legacyProvider, target, since);
      return { watermark: legacy.watermark, batches: legacy.batches, horizonAgeMs: undefined, finished: () => legacy.finished, close: () => legacy.cancel() };
    }
    const feed: ChangeFeed = await openChangeFeed({ source: this.options.source, clientId: target.clientId, kind: target.kind, since, batchSize: this.options.feedBatchSize });
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
