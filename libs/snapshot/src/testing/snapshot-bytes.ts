import { Readable } from 'node:stream';
import type { ChangeBatch, RowKey, RowValues, Target, Watermark } from '@storage-builder/data-model';
import { serializeSnapshot } from '../serialize-snapshot';
import type { SerializerStrategy } from '../serializer-registry';
import type { Compression } from '../format-constants';
import { snapshotHeader } from '../snapshot-header';
import { readSnapshot } from '../snapshot-reader';
import type { SnapshotExpectation } from '../snapshot-header';
import type { FrameOptions } from '../snapshot-encoder';
import { collect } from './generate-rows';

export interface BuildOptions extends FrameOptions {
  target: Target;
  toWatermark: Watermark;
  fromWatermark?: Watermark | null;
  batches: ChangeBatch[];
  strategy?: SerializerStrategy;
  compression?: Compression;
}

/** Serializes to a buffer in memory. */
export async function buildSnapshot(options: BuildOptions): Promise<Buffer> {
  const { stream, done } = serializeSnapshot({
    ...options,
    header: snapshotHeader(options),
    batchSizing: { memory: () => ({ freeBytes: 64 * 1024 * 1024, limitedBy: 'os' }) },
  });
  const bytes = await collect(stream);
  await done;
  return bytes;
}

/** Reads a whole file from memory, fed in chunks of `chunkSize` to exercise the reader's buffering. */
export async function readAll(bytes: Buffer, expect?: SnapshotExpectation, chunkSize = 7919) {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) chunks.push(bytes.subarray(at, at + chunkSize));
  const reader = await readSnapshot(Readable.from(chunks), expect);
  const rows: RowValues[] = [];
  const tombstones: RowKey[] = [];
  for await (const batch of reader.batches) {
    if (batch.type === 'rows') rows.push(...batch.rows);
    else tombstones.push(...batch.keys);
  }
  return { header: reader.header, rows, tombstones, totals: reader.totals() };
}
