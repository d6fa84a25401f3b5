import { parseWatermark, type DataKind } from '@storage-builder/data-model';
import { describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES, TRAILER_BYTES } from './format-constants';
import { SnapshotFormatError } from './snapshot-format-error';
import { generateRows, inBatches } from './testing/generate-rows';
import { buildSnapshot, readAll } from './testing/snapshot-bytes';

const target = { clientId: 7, kind: 'raw-data' as DataKind };
const toWatermark = parseWatermark('900');

async function expectCode(promise: Promise<unknown>, code: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SnapshotFormatError);
  expect((error as SnapshotFormatError).code).toBe(code);
}

describe('snapshot reader', () => {
  it.each(['none', 'deflate'] as const)('round-trips rows and tombstones (%s)', async (compression) => {
    const rows = generateRows({ count: 5000, seed: 3 });
    const bytes = await buildSnapshot({ target, toWatermark, compression, batches: inBatches(rows, [333, 1, 2048], ['4', '5']) });
    const read = await readAll(bytes, { target, toWatermark, fromWatermark: null });
    expect(read.rows).toEqual(rows);
    expect(read.tombstones).toEqual(['4', '5']);
    expect(read.header).toMatchObject({ kind: 'raw-data', clientId: 7, fromWatermark: null, toWatermark: '900', compression });
    expect(read.totals).toMatchObject({ rows: 5000, tombstones: 2, bytes: bytes.length });
  });

  it('round-trips an empty file', async () => {
    const read = await readAll(await buildSnapshot({ target, toWatermark, batches: [] }));
    expect(read.rows).toEqual([]);
    expect(read.totals).toMatchObject({ rows: 0, tombstones: 0, frames: 0 });
  });

  it('refuses a file of another target or window', async () => {
    const bytes = await buildSnapshot({ target, toWatermark, batches: [] });
    await expectCode(readAll(bytes, { target: { clientId: 8, kind: 'raw-data' } }), 'wrong-target');
    await expectCode(readAll(bytes, { target: { clientId: 7, kind: 'entities' } }), 'wrong-target');
    await expectCode(readAll(bytes, { toWatermark: parseWatermark('901') }), 'wrong-target');
    await expectCode(readAll(bytes, { fromWatermark: parseWatermark('1') }), 'wrong-target');
  });

  it('refuses another format version and a foreign file', async () => {
    const bytes = await buildSnapshot({ target, toWatermark, batches: [] });
    const v2 = Buffer.from(bytes);
    v2.writeUInt16BE(2, 8);
    await expectCode(readAll(v2), 'unsupported-version');
    await expectCode(readAll(Buffer.from('id,name\n1,x\n')), 'bad-magic');
  });

  it('detects truncation at every kind of boundary and trailing bytes', async () => {
    const bytes = await buildSnapshot({ target, toWatermark, batches: inBatches(generateRows({ count: 100 }), [100]) });
    for (const cut of [0, 5, 20, bytes.length - TRAILER_BYTES - 10, bytes.length - TRAILER_BYTES, bytes.length - 1]) {
      await expectCode(readAll(bytes.subarray(0, cut)), 'truncated');
    }
    await expectCode(readAll(Buffer.concat([bytes, Buffer.from([0])])), 'trailing-data');
  });

  it('detects a flipped payload byte by the frame checksum and a forged trailer by the file checksum', async () => {
    const bytes = await buildSnapshot({ target, toWatermark, batches: inBatches(generateRows({ count: 100 }), [100]) });
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - TRAILER_BYTES - 3]! ^= 0x40;
    await expectCode(readAll(flipped), 'checksum-mismatch');
    const forged = Buffer.from(bytes);
    forged.writeBigUInt64BE(101n, bytes.length - TRAILER_BYTES + 1);
    await expectCode(readAll(forged), 'checksum-mismatch');
  });

  it('refuses a frame header whose count cannot fit its payload', async () => {
    const bytes = await buildSnapshot({ target, toWatermark, batches: inBatches(generateRows({ count: 3 }), [3]) });
    const headerEnd = bytes.indexOf(Buffer.from([1, 0, 0, 0, 3]));
    const bad = Buffer.from(bytes);
    bad.writeUInt32BE(0xfffffff0, headerEnd + 1);
    await expectCode(readAll(bad), 'corrupt-frame');
    expect(FRAME_HEADER_BYTES).toBe(17);
  });
});
