import { parseWatermark, type ChangeBatch } from '@storage-builder/data-model';
import { describe, expect, it } from 'vitest';
import { chooseBatchSize, MAX_BATCH_SIZE, MIN_BATCH_SIZE } from './memory-budget';
import { serializeSnapshot } from './serialize-snapshot';
import { SERIALIZER_STRATEGIES } from './serializer-registry';
import { snapshotHeader } from './snapshot-header';
import { collect, generateRows, inBatches } from './testing/generate-rows';
import { buildSnapshot, readAll } from './testing/snapshot-bytes';

const target = { clientId: 42, kind: 'raw-data' as const };
const toWatermark = parseWatermark('5000');
const fromWatermark = parseWatermark('4000');

describe('serializeEnumerable strategies', () => {
  const rows = generateRows({ count: 12_345, seed: 11 });
  rows[17] = ['18', '1', '2', '2024-01-01', null, null, 't'];
  rows[99] = ['100', '1', '2', '2024-01-01', '1.5', 'x'.repeat(600_000) + '🚀', 'f'];

  const batchings: [string, ChangeBatch[]][] = [
    ['one batch', inBatches(rows, [rows.length])],
    ['batches of 1', inBatches(rows.slice(0, 3000), [1])],
    ['odd sizes', inBatches(rows, [1, 7, 4095, 4096, 4097, 0, 13])],
    ['with tombstones', inBatches(rows, [1000], ['1', '2', '99999'])],
    ['empty', []],
    ['empty batches', [{ rows: [], tombstones: [] }, { rows: [], tombstones: [] }]],
  ];

  it.each(batchings)('write byte-identical files (%s)', async (_name, batches) => {
    for (const compression of ['none', 'deflate'] as const) {
      const files = await Promise.all(
        SERIALIZER_STRATEGIES.map((strategy) => buildSnapshot({ target, toWatermark, fromWatermark, batches, strategy, compression })),
      );
      expect(files[1]!.equals(files[0]!)).toBe(true);
      expect(files[2]!.equals(files[0]!)).toBe(true);
    }
  });

  it('cut frames by the rows, not by how the caller batched them', async () => {
    const a = await buildSnapshot({ target, toWatermark, batches: inBatches(rows, [rows.length]) });
    const b = await buildSnapshot({ target, toWatermark, batches: inBatches(rows, [3, 1, 5000]) });
    expect(a.equals(b)).toBe(true);
    const read = await readAll(a);
    expect(read.rows).toEqual(rows);
  });

  it('count serialize calls: one per record for legacy, one per batch for the others', async () => {
    const small = rows.slice(0, 2000);
    const counts: Record<string, number | undefined> = {};
    for (const strategy of SERIALIZER_STRATEGIES) {
      const { stream, done } = serializeSnapshot({
        header: snapshotHeader({ target, toWatermark }),
        batches: inBatches(small, [100], ['1']),
        strategy,
        batchSizing: { memory: () => ({ freeBytes: 0, limitedBy: 'cgroup' }) },
      });
      await collect(stream);
      const totals = await done;
      expect(totals).toMatchObject({ rows: 2000, tombstones: 1 });
      counts[strategy] = totals.serializeCalls;
      if (strategy === 'batched') expect(totals.batchSize).toBe(MIN_BATCH_SIZE);
    }
    expect(counts).toEqual({ legacy: 2002, batched: 6, streaming: 21 });
  });

  it('stop and destroy the stream when aborted', async () => {
    for (const strategy of SERIALIZER_STRATEGIES) {
      const controller = new AbortController();
      const { stream, done } = serializeSnapshot({
        header: snapshotHeader({ target, toWatermark }),
        batches: (async function* () {
          yield { rows: rows.slice(0, 10), tombstones: [] };
          controller.abort(new Error('shutting down'));
          yield { rows: rows.slice(10, 20), tombstones: [] };
        })(),
        strategy,
        signal: controller.signal,
      });
      await expect(collect(stream), strategy).rejects.toThrow("shutting down");
      await expect(done).rejects.toThrow();
    }
  });
});

describe('chooseBatchSize', () => {
  it('scales with free memory within 500-20,000', () => {
    const at = (freeBytes: number) => chooseBatchSize({ memory: () => ({ freeBytes, limitedBy: 'os' }) });
    expect(at(0)).toBe(MIN_BATCH_SIZE);
    expect(at(64 * 1024 * 1024)).toBe(2048);
    expect(at(64 * 1024 * 1024 * 1024)).toBe(MAX_BATCH_SIZE);
    expect(chooseBatchSize()).toBeGreaterThanOrEqual(MIN_BATCH_SIZE);
    expect(() => chooseBatchSize({ memoryFraction: 2 })).toThrow(/memoryFraction is 2/);
  });
});
