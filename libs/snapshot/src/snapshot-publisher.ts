import type { ChangeBatch, RowKey, Target, Watermark } from '@storage-builder/data-model';
import { compareRowKeys, compareWatermarks, targetId } from '@storage-builder/data-model';
import { DEFAULT_COMPRESSION, type Compression } from './format-constants';
import { attemptTag, checksumHex, droppedKeys, generationOfKey, strayKeys, type ManifestObject, type SnapshotManifest } from './manifest';
import { commitManifest, readManifest, readTargetManifest, UNFENCED, type CommitFence, type CommitGuard, type ManifestVersion, type TargetManifest } from './manifest-store';
import { serializeMergedChain, UnorderedChainError } from './chain-merge';
import { materializeManifest } from './materialize';
import type { StreamUploadResult } from './multipart-upload';
import { s3Status, SnapshotConflictError } from './s3-errors';
import { serializeSnapshot } from './serialize-snapshot';
import { DEFAULT_SERIALIZER_STRATEGY, type SerializerStrategy } from './serializer-registry';
import type { SerializeCounters, SerializedSnapshot } from './serialize-types';
import type { FrameOptions, SnapshotTotals } from './snapshot-encoder';
import { snapshotHeader, type SnapshotHeader } from './snapshot-header';
import type { ListedObject, SnapshotStore } from './snapshot-store';
import type { BatchSizingOptions } from './memory-budget';

/** Compact when the chain has more deltas than this. */
export const DEFAULT_MAX_DELTAS = 8;
/** Compact when the deltas together hold more than this share of the base's bytes. */
export const DEFAULT_MAX_DELTA_BYTES_RATIO = 0.5;

export interface PublisherOptions {
  store: SnapshotStore;
  /** @defaultValue {@link DEFAULT_SERIALIZER_STRATEGY} */
  strategy?: SerializerStrategy;
  /** @defaultValue {@link DEFAULT_COMPRESSION} */
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
  /** The manifest as the caller read it; read here when not given. A malformed one can only be replaced by a base. */
  readonly current?: TargetManifest;
  /** The target's objects as the caller listed them (see `inspectChain`); listed here for a new base when not given. */
  readonly listed?: readonly ListedObject[];
  /** The writer's lease: its token goes into the keys and the manifest, and the commit runs inside it. @defaultValue {@link UNFENCED} */
  readonly fence?: CommitFence;
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
  /** Objects deleted after the commit: those the new manifest replaced and leftovers of attempts that can no longer commit. */
  readonly deleted: readonly string[];
}

/**
 * The per-target write path, in the order that keeps S3 consistent: serialize and upload
 * the immutable data object under a key no other attempt uses, then commit the manifest
 * conditionally inside the writer's fence, then delete what no writer can commit any more.
 * Callers save the watermark elsewhere only after this resolves.
 */
export class SnapshotPublisher {
  readonly options: ResolvedPublisherOptions;

  constructor(options: PublisherOptions) {
    this.options = {
      store: options.store,
      strategy: options.strategy ?? DEFAULT_SERIALIZER_STRATEGY,
      compression: options.compression ?? DEFAULT_COMPRESSION,
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
    const fence = input.fence ?? UNFENCED;
    const current = input.current ?? (await readTargetManifest(store, input.target));
    const keys = store.keys(input.target);
    const previous = current.state === 'valid' ? current.manifest : undefined;
    if (previous && previous.fence > fence.token) {
      throw new SnapshotConflictError('fenced', keys.manifest, `${targetId(input.target)} was committed by a writer with fencing token ${previous.fence}, newer than this writer's ${fence.token}: this writer lost the target`);
    }
    if (input.fromWatermark !== null) {
      if (!previous) {
        throw new SnapshotConflictError('watermark-mismatch', keys.manifest, `${targetId(input.target)} has no readable manifest: publish a full snapshot (fromWatermark null) first`);
      }
      if (previous.watermark !== input.fromWatermark) {
        throw new SnapshotConflictError(
          'watermark-mismatch',
          keys.manifest,
          `${targetId(input.target)} is at watermark ${previous.watermark}, the delta starts at ${input.fromWatermark}: read changes since ${previous.watermark}`,
        );
      }
      if (compareWatermarks(input.toWatermark, input.fromWatermark) < 0) {
        throw new Error(`toWatermark ${input.toWatermark} is below fromWatermark ${input.fromWatermark}`);
      }
    }
    // A new base lists the target to remove what no writer can commit any more.
    const listed = input.listed ?? (input.fromWatermark === null ? await this.listQuietly(input.target) : undefined);
    // Past every generation in the bucket when the manifest that counted them is unreadable.
    const generation =
      (current.state === 'malformed' ? Math.max(0, ...(listed ?? []).map((o) => generationOfKey(o.key) ?? 0)) : (previous?.generation ?? 0)) + 1;
    const attempt = attemptTag(fence.token);
    const key =
      input.fromWatermark === null ? keys.base(generation, input.toWatermark, attempt) : keys.delta(generation, input.fromWatermark, input.toWatermark, attempt);
    const { object, upload, serialize } = await this.writeObject(key, () => this.serialize(input), input.signal);
    const committedAt = this.options.clock().toISOString();
    const next: SnapshotManifest =
      input.fromWatermark === null || !previous
        ? { manifestVersion: 1, target: input.target, generation, fence: fence.token, watermark: input.toWatermark, base: { ...object, watermark: input.toWatermark }, deltas: [], committedAt }
        : {
            ...previous,
            generation,
            fence: fence.token,
            watermark: input.toWatermark,
            deltas: [...previous.deltas, { ...object, fromWatermark: input.fromWatermark, toWatermark: input.toWatermark }],
            committedAt,
          };
    const committed = await commitManifest(store, current.state === 'absent' ? undefined : current, next, fence);
    const deleted = await store.deleteQuietly(input.target, unneededKeys(previous, next, listed, fence.token));
    const compaction = this.needsCompaction(next) ? await this.compact(input.target, input.signal, { manifest: next, etag: committed.etag }, fence) : undefined;
    return { state: 'committed', manifest: compaction?.manifest ?? next, object, upload, serialize, guard: committed.guard, compaction, deleted };
  }

  needsCompaction(manifest: SnapshotManifest): boolean {
    if (manifest.deltas.length === 0) return false;
    const deltaBytes = manifest.deltas.reduce((sum, d) => sum + d.bytes, 0);
    return manifest.deltas.length > this.options.maxDeltas || deltaBytes > manifest.base.bytes * this.options.maxDeltaBytesRatio;
  }

  /**
   * Folds base + deltas into a new base at the manifest's watermark, commits a manifest
   * naming only it, then deletes the old objects. The chain is merged in id order as it
   * streams in (`serializeMergedChain`), rows copied still encoded: memory holds a frame's
   * payload and a ranged read per run of the merge (two per delta), not the target's rows; a
   * chain out of id order is merged in memory.
   * Throws a damage error (see `isSnapshotDamage`) when an object of the chain is missing or corrupt.
   */
  async compact(target: Target, signal?: AbortSignal, current?: ManifestVersion, fence: CommitFence = UNFENCED): Promise<PublishResult> {
    const { store } = this.options;
    const previous = current ?? (await readManifest(store, target));
    if (!previous) throw new Error(`${targetId(target)} has no manifest: nothing to compact`);
    const generation = previous.manifest.generation + 1;
    const watermark = previous.manifest.watermark;
    const key = store.keys(target).base(generation, watermark, attemptTag(fence.token));
    const header = this.header({ target, fromWatermark: null, toWatermark: watermark });
    let written: Awaited<ReturnType<typeof this.writeObject>>;
    try {
      written = await this.writeObject(key, () => serializeMergedChain({ store, manifest: previous.manifest, header, frame: this.options.frame, signal }), signal);
    } catch (error) {
      if (!(error instanceof UnorderedChainError)) throw error;
      // Written by a caller of publish rather than the feed: merged in memory instead. The upload
      // that failed left nothing under the key (an aborted upload is never visible).
      store.options.logger.warn('a snapshot of the chain is not in id order; compacting it in memory', { target: targetId(target), error: error.message });
      const { rows } = await materializeManifest(store, previous.manifest, signal);
      const sorted = [...rows.values()].sort((a, b) => compareRowKeys(a[0] as RowKey, b[0] as RowKey));
      written = await this.writeObject(key, () => this.serialize({ target, fromWatermark: null, toWatermark: watermark, batches: [{ rows: sorted, tombstones: [] }], signal }), signal);
    }
    const { object, upload, serialize } = written;
    const next: SnapshotManifest = {
      manifestVersion: 1,
      target,
      generation,
      fence: fence.token,
      watermark,
      base: { ...object, watermark },
      deltas: [],
      committedAt: this.options.clock().toISOString(),
    };
    const committed = await commitManifest(store, previous, next, fence);
    const deleted = await store.deleteQuietly(target, unneededKeys(previous.manifest, next, await this.listQuietly(target), fence.token));
    return { state: 'committed', manifest: next, object, upload, serialize, guard: committed.guard, compaction: undefined, deleted };
  }

  /** The target's objects, or undefined when the LIST fails: clean-up is best effort, the commit does not depend on it. */
  private async listQuietly(target: Target): Promise<ListedObject[] | undefined> {
    const { store } = this.options;
    try {
      return await store.listObjects(store.keys(target).directory);
    } catch (error) {
      store.options.logger.warn('could not list a target to remove leftovers of other attempts', { target: targetId(target), error: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  private header(input: Pick<PublishInput, 'target' | 'fromWatermark' | 'toWatermark'>): SnapshotHeader {
    return snapshotHeader({ target: input.target, fromWatermark: input.fromWatermark, toWatermark: input.toWatermark, compression: this.options.compression });
  }

  private serialize(input: Pick<PublishInput, 'target' | 'fromWatermark' | 'toWatermark' | 'batches' | 'strategy' | 'signal'>): SerializedSnapshot {
    return serializeSnapshot({
      header: this.header(input),
      batches: input.batches,
      strategy: input.strategy ?? this.options.strategy,
      batchSizing: this.options.batchSizing,
      signal: input.signal,
      ...this.options.frame,
    });
  }

  /**
   * Uploads a file to `key`, a key no other attempt uses, as `serialize` produces it;
   * `If-None-Match` where enforced keeps it so. The store is probed before serializing
   * starts: a producer must not be left waiting on a stream nobody reads.
   */
  private async writeObject(key: string, serialize: () => SerializedSnapshot, signal?: AbortSignal) {
    const { store } = this.options;
    const support = await store.conditionalWrites();
    const serialized = serialize();
    let upload: StreamUploadResult;
    try {
      upload = await store.upload(key, serialized.stream, { signal, contentType: 'application/octet-stream', conditions: { ifNoneMatch: support.ifNoneMatch } });
    } catch (error) {
      serialized.stream.destroy();
      if (s3Status(error) === 412) {
        throw new SnapshotConflictError('object-exists', key, `${key} already exists: attempt keys are unique, so another process wrote under this writer's key; start over`, { cause: error });
      }
      throw error;
    }
    const totals = await serialized.done;
    const object: ManifestObject = { key, rows: totals.rows, tombstones: totals.tombstones, bytes: totals.bytes, checksum: checksumHex(totals.checksum) };
    return { object, upload, serialize: totals };
  }
}

/**
 * What the committed manifest no longer needs: the objects it replaced and, when the
 * target was listed, objects no writer can commit any more (see `strayKeys`).
 */
function unneededKeys(previous: SnapshotManifest | undefined, next: SnapshotManifest, listed: readonly ListedObject[] | undefined, fence: number): string[] {
  const dropped = droppedKeys(previous, next);
  if (!listed) return dropped;
  return [...new Set([...dropped, ...strayKeys(next, listed.map((o) => o.key), fence)])];
}
