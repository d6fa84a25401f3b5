import type { RowKey, RowValues, Target, Watermark } from '@storage-builder/data-model';
import { checksumHex, ManifestError, type ManifestObject, type SnapshotManifest } from './manifest';
import { readManifest } from './manifest-store';
import { frameReadLimit } from './memory-budget';
import type { SnapshotTotals } from './snapshot-encoder';
import { inObject, SnapshotFormatError } from './snapshot-format-error';
import { readSnapshot, type SnapshotBatch, type SnapshotFrame, type SnapshotReader } from './snapshot-reader';
import type { SnapshotExpectation } from './snapshot-header';
import type { SnapshotStore } from './snapshot-store';

export interface MaterializedTarget {
  readonly manifest: SnapshotManifest;
  /** The target's current rows by id, after base and every delta, in first-insertion order. */
  readonly rows: Map<RowKey, RowValues>;
  readonly watermark: Watermark;
}

/**
 * Streams the base and then each delta of the committed manifest into the target's current
 * rows: a row replaces the row with its id, a tombstone removes it. Returns `undefined` when
 * the target has no manifest. Throws (and returns nothing partial) on a missing object,
 * a malformed manifest or file, or an object that differs from what the manifest recorded.
 */
export async function materializeTarget(store: SnapshotStore, target: Target, signal?: AbortSignal): Promise<MaterializedTarget | undefined> {
  const current = await readManifest(store, target);
  return current && materializeManifest(store, current.manifest, signal);
}

export async function materializeManifest(store: SnapshotStore, manifest: SnapshotManifest, signal?: AbortSignal): Promise<MaterializedTarget> {
  const rows = new Map<RowKey, RowValues>();
  const apply = (batch: SnapshotBatch) => {
    if (batch.type === 'rows') {
      for (const row of batch.rows) rows.set(row[0] as RowKey, row);
    } else {
      for (const key of batch.keys) rows.delete(key);
    }
  };
  await readManifestObjects(store, manifest, apply, signal);
  return { manifest, rows, watermark: manifest.watermark };
}

/**
 * Reads every object the manifest names, in chain order, through the snapshot reader (so
 * every frame and trailer checksum is verified) and hands each batch to `onBatch`. Throws
 * on a missing object, a malformed file, or one that differs from what the manifest recorded.
 */
export async function readManifestObjects(
  store: SnapshotStore,
  manifest: SnapshotManifest,
  onBatch: (batch: SnapshotBatch) => void,
  signal?: AbortSignal,
): Promise<void> {
  const target = manifest.target;
  for await (const batch of objectBatches(store, manifest.base, { target, fromWatermark: null, toWatermark: manifest.base.watermark }, signal)) onBatch(batch);
  for (const delta of manifest.deltas) {
    for await (const batch of objectBatches(store, delta, { target, fromWatermark: delta.fromWatermark, toWatermark: delta.toWatermark }, signal)) onBatch(batch);
  }
}

/**
 * The frames of one object the manifest names, decoded, as they stream in. Read to its end,
 * it throws unless the object is whole and is what the manifest recorded (rows, tombstones,
 * bytes, checksum); a consumer must discard what it took from an object that threw.
 * Stopping early ends the GET. `inRangesOf` reads it in ranged GETs of that many bytes, one
 * at a time as the reader needs them, so no connection waits on a reader that falls idle.
 */
export function objectBatches(store: SnapshotStore, entry: ManifestObject, expect: SnapshotExpectation, signal: AbortSignal | undefined, read: ObjectRead = {}): AsyncGenerator<SnapshotBatch> {
  return objectItems(store, entry, expect, signal, read, (reader) => reader.batches);
}

/** As {@link objectBatches}, the frames undecoded. */
export function objectFrames(store: SnapshotStore, entry: ManifestObject, expect: SnapshotExpectation, signal: AbortSignal | undefined, read: ObjectRead = {}): AsyncGenerator<SnapshotFrame> {
  return objectItems(store, entry, expect, signal, read, (reader) => reader.frames);
}

interface ObjectRead {
  readonly inRangesOf?: number;
}

async function* objectItems<T>(
  store: SnapshotStore,
  entry: ManifestObject,
  expect: SnapshotExpectation,
  signal: AbortSignal | undefined,
  read: ObjectRead,
  items: (reader: SnapshotReader) => AsyncIterable<T>,
): AsyncGenerator<T> {
  signal?.throwIfAborted();
  let body: AsyncIterable<Uint8Array>;
  if (read.inRangesOf === undefined) {
    const object = await store.get(entry.key, signal);
    if (!object) throw missingObject(store, entry);
    body = object.body;
  } else {
    body = await inRanges(store, entry, read.inRangesOf, signal);
  }
  let totals: SnapshotTotals | undefined;
  try {
    const reader = await readSnapshot(body, expect, { maxFramePayloadBytes: frameReadLimit() });
    yield* items(reader);
    totals = reader.totals();
  } catch (error) {
    throw error instanceof SnapshotFormatError ? inObject(error, entry.key) : error;
  }
  const found = totals && { rows: totals.rows, tombstones: totals.tombstones, bytes: totals.bytes, checksum: checksumHex(totals.checksum) };
  const recorded = { rows: entry.rows, tombstones: entry.tombstones, bytes: entry.bytes, checksum: entry.checksum };
  if (!found || JSON.stringify(found) !== JSON.stringify(recorded)) {
    throw new ManifestError(
      'object-mismatch',
      `${entry.key} holds ${JSON.stringify(found)}, the manifest recorded ${JSON.stringify(recorded)}: it was overwritten after the commit`,
      entry.key,
    );
  }
}

function missingObject(store: SnapshotStore, entry: ManifestObject): ManifestError {
  return new ManifestError('missing-object', `manifest names ${entry.key}, which does not exist in bucket ${store.options.bucket}: restore it, or publish a full snapshot of the target`, entry.key);
}

/**
 * The object's bytes as ranged GETs of `rangeBytes`, all of the version the first one read.
 * The first is read here, so a missing object or one of another size than recorded fails at once.
 */
async function inRanges(store: SnapshotStore, entry: ManifestObject, rangeBytes: number, signal: AbortSignal | undefined): Promise<AsyncIterable<Uint8Array>> {
  const first = entry.bytes === 0 ? undefined : await store.getRange(entry.key, 0, Math.min(entry.bytes, rangeBytes) - 1, { signal });
  if (entry.bytes > 0 && !first) throw missingObject(store, entry);
  if (first && first.size !== entry.bytes) {
    throw new ManifestError('object-mismatch', `${entry.key} holds ${first.size} bytes, the manifest recorded ${entry.bytes}: it was overwritten after the commit`, entry.key);
  }
  return (async function* () {
    if (!first) return;
    yield first.bytes;
    for (let start = first.bytes.length; start < entry.bytes; ) {
      const range = await store.getRange(entry.key, start, Math.min(entry.bytes, start + rangeBytes) - 1, { ifMatch: first.etag || undefined, signal });
      if (!range) throw missingObject(store, entry);
      if (range.bytes.length === 0) throw new ManifestError('object-mismatch', `${entry.key} ended at byte ${start}, the manifest recorded ${entry.bytes}`, entry.key);
      yield range.bytes;
      start += range.bytes.length;
    }
  })();
}
