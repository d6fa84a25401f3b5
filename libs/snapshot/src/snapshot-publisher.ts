import type { ChangeBatch, RowKey, RowValues, Target, Watermark } from '@storage-builder/data-model';
import { compareWatermarks, targetId } from '@storage-builder/data-model';
import { TRAILER_BYTES, type Compression } from './format-constants';
import { checksumHex, droppedKeys, strayKeys, type ManifestObject, type SnapshotManifest } from './manifest';
import { commitManifest, readManifest, type CommitGuard, type ManifestVersion } from './manifest-store';
import { materializeManifest } from './materialize';
import type { StreamUploadResult, UploadConditions } from './multipart-upload';
import { s3Status, SnapshotConflictError } from './s3-errors';
import { serializeSnapshot } from './serialize-snapshot';
import { DEFAULT_SERIALIZER_STRATEGY, type SerializeCounters, type SerializerStrategy } from './serialize-types';
import type { FrameOptions, SnapshotTotals } from './snapshot-encoder';
import { snapshotHeader } from './snapshot-header';
import type { SnapshotStore } from './snapshot-store';
import type { BatchSizingOptions } from './memory-budget';

/** Compact when the chain has more deltas than this. */
export const DEFAULT_MAX_DELTAS = 8;
/** Compact when the deltas together hold more than this share of the base's bytes. */
export const DEFAULT_MAX_DELTA_BYTES_RATIO = 0.5;

export interface PublisherOptions {
  store: SnapshotStore;
  /** @defaultValue {@link DEFAULT_SERIALIZER_STRATEGY} */
  strategy?: SerializerStrategy;
  /** @defaultValue `'deflate'` */
  compression?: Compression;
  frame?: FrameOptions;
  batchSizing?: BatchSizingOptions;
  /** @defaultValue {@link DEFAULT_MAX_DELTAS} */
  maxDeltas?: number;
  /** @defaultValue {@link DEFAULT_MAX_DELTA_BYTES_RATIO} */
  maxDeltaBytesRatio?: number;
  /** Injected for `committedAt`. @defaultValue `() => new Date()` */
  clock?: () => Date;
}
export type ResolvedPublisherOptions = Required<Omit<PublisherOptions, 'frame' | 'batchSizing'>> & Pick<PublisherOptions, 'frame' | 'batchSizing'>;

export interface PublishInput {
  readonly target: Target;
  /** `null` publishes a full snapshot as a new base; a watermark publishes a delta that must start at the manifest's. */
  readonly fromWatermark: Watermark | null;
  readonly toWatermark: Watermark;
  readonly batches: AsyncIterable<ChangeBatch> | Iterable<ChangeBatch>;
  readonly strategy?: SerializerStrategy;
  readonly signal?: AbortSignal;
}

/** One committed publish: what was written and the manifest that now names it. */
export interface PublishResult {
  readonly state: 'committed';
  readonly manifest: SnapshotManifest;
  readonly object: ManifestObject;
  readonly upload: StreamUploadResult;
  readonly serialize: SnapshotTotals & SerializeCounters;
  readonly guard: CommitGuard;
  /** Set when this publish also folded the chain into a new base. */
  readonly compaction: PublishResult | undefined;
  /** Objects deleted after the commit: those the new manifest replaced and, on a new base, leftovers of crashed attempts. */
  readonly deleted: readonly string[];
}

/**
 * The per-target write path, in the order that keeps S3 consistent: serialize and upload
 * the immutable data object, then commit the manifest conditionally, then delete what the
 * new manifest dropped. Callers save the watermark elsewhere only after this resolves.
 */
export class SnapshotPublisher {
  readonly options: ResolvedPublisherOptions;

  constructor(options: PublisherOptions) {
    this.options = {
      store: options.store,
      strategy: options.strategy ?? DEFAULT_SERIALIZER_STRATEGY,
      compression: options.compression ?? 'deflate',
      frame: options.frame,
      batchSizing: options.batchSizing,
      maxDeltas: options.maxDeltas ?? DEFAULT_MAX_DELTAS,
      maxDeltaBytesRatio: options.maxDeltaBytesRatio ?? DEFAULT_MAX_DELTA_BYTES_RATIO,
      clock: options.clock ?? (() => new Date()),
    };
    if (!Number.isInteger(this.options.maxDeltas) || this.options.maxDeltas < 0) {
      throw new Error(`maxDeltas is ${this.options.maxDeltas}: use an integer >= 0 (default ${DEFAULT_MAX_DELTAS})`);
    }
    if (!(this.options.maxDeltaBytesRatio > 0)) {
      throw new Error(`maxDeltaBytesRatio is ${this.options.maxDeltaBytesRatio}: use a positive number (default ${DEFAULT_MAX_DELTA_BYTES_RATIO})`);
    }
  }

  async publish(input: PublishInput): Promise<PublishResult> {
    const { store } = this.options;
    const previous = await readManifest(store, input.target);
    const generation = (previous?.manifest.generation ?? 0) + 1;
    const keys = store.keys(input.target);
    if (input.fromWatermark !== null) {
      if (!previous) {
        throw new SnapshotConflictError('watermark-mismatch', keys.manifest, `${targetId(input.target)} has no manifest: publish a full snapshot (fromWatermark null) first`);
      }
      if (previous.manifest.watermark !== input.fromWatermark) {
        throw new SnapshotConflictError(
          'watermark-mismatch',
          keys.manifest,
          `${targetId(input.target)} is at watermark ${previous.manifest.watermark}, the delta starts at ${input.fromWatermark}: read changes since ${previous.manifest.watermark}`,
        );
      }
      if (compareWatermarks(input.toWatermark, input.fromWatermark) < 0) {
        throw new Error(`toWatermark ${input.toWatermark} is below fromWatermark ${input.fromWatermark}`);
      }
    }
    const key =
      input.fromWatermark === null ? keys.base(generation, input.toWatermark) : keys.delta(generation, input.fromWatermark, input.toWatermark);
    const { object, upload, serialize } = await this.writeObject(input, key, generation);
    const committedAt = this.options.clock().toISOString();
    const next: SnapshotManifest =
      input.fromWatermark === null || !previous
        ? { manifestVersion: 1, target: input.target, generation, watermark: input.toWatermark, base: { ...object, watermark: input.toWatermark }, deltas: [], committedAt }
        : {
            ...previous.manifest,
            generation,
            watermark: input.toWatermark,
            deltas: [...previous.manifest.deltas, { ...object, fromWatermark: input.fromWatermark, toWatermark: input.toWatermark }],
            committedAt,
          };
    const committed = await commitManifest(store, previous, next);
    const deleted = await store.deleteQuietly(await this.unneededKeys(previous?.manifest, next));
    const compaction = this.needsCompaction(next) ? await this.compact(input.target, input.signal, { manifest: next, etag: committed.etag }) : undefined;
    return { state: 'committed', manifest: compaction?.manifest ?? next, object, upload, serialize, guard: committed.guard, compaction, deleted };
  }

  needsCompaction(manifest: SnapshotManifest): boolean {
    if (manifest.deltas.length === 0) return false;
    const deltaBytes = manifest.deltas.reduce((sum, d) => sum + d.bytes, 0);
    return manifest.deltas.length > this.options.maxDeltas || deltaBytes > manifest.base.bytes * this.options.maxDeltaBytesRatio;
  }

  /**
   * Folds base + deltas into a new base at the manifest's watermark, commits a manifest
   * naming only it, then deletes the old objects. Holds the target's rows in memory.
   */
  async compact(target: Target, signal?: AbortSignal, current?: ManifestVersion): Promise<PublishResult> {
    const { store } = this.options;
    const previous = current ?? (await readManifest(store, target));
    if (!previous) throw new Error(`${targetId(target)} has no manifest: nothing to compact`);
    const { rows } = await materializeManifest(store, previous.manifest, signal);
    const generation = previous.manifest.generation + 1;
    const watermark = previous.manifest.watermark;
    const key = store.keys(target).base(generation, watermark);
    const sorted = [...rows.values()].sort(byId);
    const { object, upload, serialize } = await this.writeObject(
      { target, fromWatermark: null, toWatermark: watermark, batches: [{ rows: sorted, tombstones: [] }], signal },
      key,
      generation,
    );
    const next: SnapshotManifest = {
      manifestVersion: 1,
      target,
      generation,
      watermark,
      base: { ...object, watermark },
      deltas: [],
      committedAt: this.options.clock().toISOString(),
    };
    const committed = await commitManifest(store, previous, next);
    const deleted = await store.deleteQuietly(await this.unneededKeys(previous.manifest, next));
    return { state: 'committed', manifest: next, object, upload, serialize, guard: committed.guard, compaction: undefined, deleted };
  }

  /**
   * What the committed manifest no longer needs: the objects it replaced and, when it starts
   * a new base (a full sync or a compaction, so one LIST per base), leftovers of attempts
   * that crashed before their manifest commit. Best effort: the commit already happened.
   */
  private async unneededKeys(previous: SnapshotManifest | undefined, next: SnapshotManifest): Promise<string[]> {
    const { store } = this.options;
    const dropped = droppedKeys(previous, next);
    if (next.deltas.length > 0) return dropped;
    try {
      const listed = await store.listKeys(store.keys(next.target).directory);
      return [...new Set([...dropped, ...strayKeys(next, listed)])];
    } catch (error) {
      store.options.logger.warn('could not list a target to remove leftovers of crashed attempts', { target: targetId(next.target), error: error instanceof Error ? error.message : String(error) });
      return dropped;
    }
  }

  /** Serializes into an upload of `key`; on a 412 decides between reusing, replacing a leftover, or losing the race. */
  private async writeObject(input: PublishInput, key: string, generation: number) {
    const { store } = this.options;
    const support = await store.conditionalWrites();
    const serialized = serializeSnapshot({
      header: snapshotHeader({ target: input.target, fromWatermark: input.fromWatermark, toWatermark: input.toWatermark, compression: this.options.compression }),
      batches: input.batches,
      strategy: input.strategy ?? this.options.strategy,
      batchSizing: this.options.batchSizing,
      signal: input.signal,
      ...this.options.frame,
    });
    let upload: StreamUploadResult;
    try {
      upload = await store.upload(key, serialized.stream, {
        signal: input.signal,
        contentType: 'application/octet-stream',
        conditions: { ifNoneMatch: support.ifNoneMatch },
        onPreconditionFailed: async (): Promise<UploadConditions | 'exists' | undefined> => {
          const ours = await serialized.done;
          const existing = await store.tail(key, TRAILER_BYTES);
          if (existing && existing.bytes.readUInt32BE(TRAILER_BYTES - 4) === ours.checksum) return 'exists';
          // A different object under our key: a leftover of a crashed attempt at this
          // generation, unless the manifest has moved on (then we lost the race).
          const now = await readManifest(store, input.target);
          if ((now?.manifest.generation ?? 0) >= generation) return undefined;
          return existing && support.ifMatch ? { ifMatch: existing.etag } : undefined;
        },
      });
    } catch (error) {
      serialized.stream.destroy();
      if (s3Status(error) === 412) {
        throw new SnapshotConflictError('object-exists', key, `${key} was written by another writer of generation ${generation}: re-read the manifest and start over`, { cause: error });
      }
      throw error;
    }
    const totals = await serialized.done;
    const object: ManifestObject = { key, rows: totals.rows, tombstones: totals.tombstones, bytes: totals.bytes, checksum: checksumHex(totals.checksum) };
    return { object, upload, serialize: totals };
  }
}

/** Ids are bigint text: shorter sorts first, then text order, which is numeric order for non-negative ids. */
function byId(a: RowValues, b: RowValues): number {
  const x = a[0] as RowKey;
  const y = b[0] as RowKey;
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
}
