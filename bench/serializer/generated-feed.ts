// Generated raw-data rows and a serialization into a byte-counting sink: what the serializer
// benchmark, the micro-benchmarks and the gate's diagnostic pass all measure.
import { createHook } from 'node:async_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KIND_SCHEMAS, parseWatermark, type ChangeBatch, type RowValues, type ValueBatch } from '@storage-builder/data-model';
import { serializeSnapshot, snapshotHeader, type Compression, type SerializerStrategy } from '@storage-builder/snapshot';

/** Deterministic raw-data rows (KIND_SCHEMAS['raw-data'] shape, PostgreSQL text form), cut into feed batches. */
export function generateFeed(count: number, feedBatch: number, seed = 12345): ValueBatch[] {
  const columns = KIND_SCHEMAS['raw-data'].columns.length;
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  const batches: ValueBatch[] = [];
  let rows: RowValues[] = [];
  for (let i = 0; i < count; i++) {
    const row = [
      String(i + 1),
      String(1 + Math.floor(random() * 5000)),
      String(1 + Math.floor(random() * 2000)),
      `20${10 + Math.floor(random() * 15)}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-01`,
      random() < 0.1 ? null : (random() * 2e6 - 1e6).toFixed(6),
      random() < 0.7 ? null : `note ${Math.floor(random() * 1e6)}`,
      random() < 0.1 ? 't' : 'f',
    ];
    if (row.length !== columns) throw new Error('generator out of date with KIND_SCHEMAS');
    rows.push(row);
    if (rows.length === feedBatch) {
      batches.push({ rows, tombstones: [] });
      rows = [];
    }
  }
  if (rows.length > 0) batches.push({ rows, tombstones: [] });
  return batches;
}

export const header = (compression: Compression) =>
  snapshotHeader({ target: { clientId: 1, kind: 'raw-data' }, toWatermark: parseWatermark('1000'), compression });

/** Serializes the feed into a sink that only counts bytes, as an upload would consume them. */
export async function serializeOnce(batches: AsyncIterable<ChangeBatch> | Iterable<ChangeBatch>, strategy: SerializerStrategy, compression: Compression) {
  let bytes = 0;
  const serialized = serializeSnapshot({ header: header(compression), batches, strategy });
  await pipeline(
    serialized.stream,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback();
      },
    }),
  );
  const totals = await serialized.done;
  return { bytes, serializeCalls: totals.serializeCalls, rows: totals.rows, batchSize: totals.batchSize };
}

/** Promises created while `work` runs, counted with async_hooks: slow, so never in a timed pass. */
export async function countPromises(work: () => Promise<unknown>): Promise<number> {
  let promises = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE') promises++;
    },
  });
  hook.enable();
  try {
    await work();
  } finally {
    hook.disable();
  }
  return promises;
}
