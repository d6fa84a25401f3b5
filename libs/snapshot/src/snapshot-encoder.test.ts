import { AbortMultipartUploadCommand, CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { KIND_SCHEMAS, parseWatermark, type RowValues, type Target } from '@storage-builder/data-model';
import { describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES, FRAME_TYPE_ROWS, MAX_FRAME_PAYLOAD_BYTES } from './format-constants';
import { readManifest } from './manifest-store';
import { frameReadLimit } from './memory-budget';
import { MIN_PART_SIZE } from './multipart-upload';
import { SERIALIZER_STRATEGIES } from './serializer-registry';
import { resolveFrameOptions, SnapshotEncoder } from './snapshot-encoder';
import { SnapshotFormatError } from './snapshot-format-error';
import { encodeHeader, snapshotHeader } from './snapshot-header';
import { SnapshotPublisher } from './snapshot-publisher';
import { readSnapshot } from './snapshot-reader';
import { PayloadCursor } from './row-codec';
import { naiveEncode } from './testing/naive-encoder';
import { snapshotTestStore } from './testing/object-store';
import { readAll } from './testing/snapshot-bytes';

const target = { clientId: 42, kind: 'entities' as const };
const columns = KIND_SCHEMAS.entities.columns.map((c) => ({ ...c }));

function encode(compression: 'none' | 'deflate', fill: (e: SnapshotEncoder) => void, frame = {}) {
  const encoder = new SnapshotEncoder(
    snapshotHeader({ target, fromWatermark: parseWatermark('100'), toWatermark: parseWatermark('250'), compression }),
    frame,
  );
  fill(encoder);
  const totals = encoder.finish();
  return { bytes: encoder.takeOutput(), totals };
}

describe('snapshot encoder bytes', () => {
  const header = { kind: 'entities', clientId: 42, fromWatermark: '100', toWatermark: '250', columns };

  it('writes an empty file as header + trailer only', () => {
    const { bytes, totals } = encode('none', () => undefined);
    expect(bytes).toEqual(naiveEncode({ header: { ...header, compression: 'none' }, frames: [] }));
    expect(totals).toMatchObject({ rows: 0, tombstones: 0, frames: 0, bytes: bytes.length });
  });

  it('encodes nulls, empty strings, unicode and long values exactly as FORMAT.md says', () => {
    const long = 'x'.repeat(300) + 'ü'.repeat(70);
    const rows = [
      ['1', 'A', 'Ä name 🚀', null, 't'],
      ['2', '', long, '1', 'f'],
    ];
    const { bytes } = encode('none', (e) => {
      e.addRows(rows);
      e.addTombstones(['7', '8']);
      e.addRow(['3', 'c', 'n', null, 't']);
    });
    expect(bytes).toEqual(
      naiveEncode({
        header: { ...header, compression: 'none' },
        frames: [
          { type: 'rows', rows },
          { type: 'tombstones', keys: ['7', '8'] },
          { type: 'rows', rows: [['3', 'c', 'n', null, 't']] },
        ],
      }),
    );
  });

  it('closes frames at the item limit and at the byte limit, at row boundaries', () => {
    const rows = Array.from({ length: 7 }, (_, i) => [String(i + 1), 'code', 'name', null, 't']);
    const byItems = encode('none', (e) => e.addRows(rows), { frameItems: 3 });
    expect(byItems.bytes).toEqual(
      naiveEncode({
        header: { ...header, compression: 'none' },
        frames: [rows.slice(0, 3), rows.slice(3, 6), rows.slice(6)].map((r) => ({ type: 'rows' as const, rows: r })),
      }),
    );
    // Each row is 2 + 5 + 5 + 1 + 2 = 15 bytes: a 20-byte limit closes after the second row.
    const byBytes = encode('none', (e) => e.addRows(rows), { frameBytes: 20 });
    expect(byBytes.totals.frames).toBe(4);
    expect(byBytes.bytes).toEqual(
      naiveEncode({
        header: { ...header, compression: 'none' },
        frames: [rows.slice(0, 2), rows.slice(2, 4), rows.slice(4, 6), rows.slice(6)].map((r) => ({ type: 'rows' as const, rows: r })),
      }),
    );
  });

  it('deflates each frame payload independently', () => {
    const rows = Array.from({ length: 50 }, (_, i) => [String(i), 'same code', 'same name', null, 'f']);
    const { bytes } = encode('deflate', (e) => e.addRows(rows), { frameItems: 20 });
    expect(bytes).toEqual(
      naiveEncode({
        header: { ...header, compression: 'deflate' },
        frames: [rows.slice(0, 20), rows.slice(20, 40), rows.slice(40)].map((r) => ({ type: 'rows' as const, rows: r })),
      }),
    );
  });

  it('refuses a row with the wrong number of values, naming the kind and its columns', () => {
    expect(() => encode('none', (e) => e.addRow(['1', 'x']))).toThrow(/row 0 has 2 values: entities rows have 5 \(id, code, name/);
  });

  it('copies encoded rows of another file into the same bytes as their values give', async () => {
    const rows = Array.from({ length: 70 }, (_, i) => [String(i), i % 3 === 0 ? null : `code ${i}`, 'ü'.repeat(i), '', 't']);
    const source = encode('deflate', (e) => e.addRows(rows), { frameItems: 16 });
    const copied = await (async () => {
      const encoder = new SnapshotEncoder(snapshotHeader({ target, fromWatermark: parseWatermark('100'), toWatermark: parseWatermark('250'), compression: 'deflate' }), { frameItems: 16 });
      for await (const frame of (await readSnapshot(Readable.from([source.bytes]))).frames) {
        const payload = frame.payload();
        const cursor = new PayloadCursor(payload, frame.offset);
        for (let row = 0; row < frame.count; row++) {
          const start = cursor.position;
          cursor.skipValues(columns.length);
          encoder.addEncodedRow(payload, start, cursor.position);
        }
      }
      encoder.finish();
      return encoder.takeOutput();
    })();
    expect(copied).toEqual(source.bytes);
  });
});

describe('snapshot encoder frame size limit', () => {
  const header = (compression: 'none' | 'deflate' = 'none') => snapshotHeader({ target, fromWatermark: null, toWatermark: parseWatermark('250'), compression });
  /** An entities row of exactly `bytes` payload bytes: (1 + id) + 5 + (varint + name) + 1 + 2. */
  const rowOfBytes = (id: string, bytes: number): RowValues => {
    const forName = bytes - (1 + id.length) - 5 - 1 - 2;
    const varint = forName - 1 < 128 ? 1 : forName - 2 < 128 * 128 ? 2 : 3;
    return [id, 'code', 'n'.repeat(forName - varint), null, 't'];
  };

  it('defaults to the limit the reader enforces, and accepts only lower ones', () => {
    expect(resolveFrameOptions().maxFramePayloadBytes).toBe(frameReadLimit());
    expect(() => resolveFrameOptions({ maxFramePayloadBytes: MAX_FRAME_PAYLOAD_BYTES + 1 })).toThrow(
      `maxFramePayloadBytes is ${MAX_FRAME_PAYLOAD_BYTES + 1}: use a positive integer up to ${MAX_FRAME_PAYLOAD_BYTES}`,
    );
    expect(() => resolveFrameOptions({ maxFramePayloadBytes: 0 })).toThrow('maxFramePayloadBytes is 0');
    // A frame closes at or past frameBytes, so frameBytes above the limit could only fail.
    expect(() => resolveFrameOptions({ frameBytes: MAX_FRAME_PAYLOAD_BYTES + 1 })).toThrow(`frameBytes is ${MAX_FRAME_PAYLOAD_BYTES + 1}: use a positive integer up to ${MAX_FRAME_PAYLOAD_BYTES}`);
    expect(() => resolveFrameOptions({ maxFramePayloadBytes: 100_000, frameBytes: 100_001 })).toThrow('frameBytes is 100001: use a positive integer up to 100000');
    expect(resolveFrameOptions({ frameBytes: MAX_FRAME_PAYLOAD_BYTES }).frameBytes).toBe(MAX_FRAME_PAYLOAD_BYTES);
  });

  it('reader: accepts frame lengths up to MAX_FRAME_PAYLOAD_BYTES and refuses one byte more, naming the limit', async () => {
    // Frame headers only: no payload is allocated. At the limit the reader waits for the
    // payload (truncated); above it the header alone is refused.
    const frameHeader = (length: number) => {
      const fields = Buffer.alloc(FRAME_HEADER_BYTES);
      fields[0] = FRAME_TYPE_ROWS;
      fields.writeUInt32BE(1, 1);
      fields.writeUInt32BE(length, 5);
      fields.writeUInt32BE(length, 9);
      return Buffer.concat([encodeHeader(header()), fields]);
    };
    const failure = (bytes: Buffer) => readAll(bytes).then(() => undefined, (error: unknown) => error as SnapshotFormatError);
    const atLimit = await failure(frameHeader(MAX_FRAME_PAYLOAD_BYTES));
    expect(atLimit).toBeInstanceOf(SnapshotFormatError);
    expect(atLimit?.code).toBe('truncated');
    const above = await failure(frameHeader(MAX_FRAME_PAYLOAD_BYTES + 1));
    expect(above?.code).toBe('corrupt-frame');
    expect(above?.message).toContain(`above the frame payload limit of ${MAX_FRAME_PAYLOAD_BYTES} bytes`);
  });

  it('reader: refuses a frame above its own lower limit from the header alone; the worker reads at most a quarter of its heap limit', async () => {
    const file = encode('deflate', (e) => e.addRow(['1', 'x'.repeat(5000), 'y', null, 't'])).bytes;
    const read = async (maxFramePayloadBytes: number) => {
      const reader = await readSnapshot(Readable.from([file]), undefined, { maxFramePayloadBytes });
      for await (const frame of reader.frames) frame.payload();
    };
    await expect(read(6000)).resolves.toBeUndefined();
    const refused = await read(1000).then(() => undefined, (error: unknown) => error as SnapshotFormatError);
    expect(refused).toBeInstanceOf(SnapshotFormatError);
    expect(refused?.code).toBe('corrupt-frame');
    expect(refused?.message).toMatch(/frame header gives \d+\/\d+ bytes, above this reader's frame limit of 1000 bytes/);
    expect(frameReadLimit(256 * 2 ** 20)).toBe(64 * 2 ** 20);
    expect(frameReadLimit(16 * 2 ** 30)).toBe(MAX_FRAME_PAYLOAD_BYTES);
  });

  it('writes a frame of exactly the limit, and refuses one byte more, naming the size, the limit, the row and the fix', async () => {
    const limit = 20_000;
    const fits = new SnapshotEncoder(header(), { maxFramePayloadBytes: limit, frameBytes: 1000 });
    fits.addRow(rowOfBytes('1', limit));
    fits.finish();
    expect((await readAll(fits.takeOutput())).rows).toEqual([rowOfBytes('1', limit)]);

    const encoder = new SnapshotEncoder(header(), { maxFramePayloadBytes: limit, frameBytes: 1000 });
    encoder.addRow(['1', 'a', 'b', null, 't']);
    const add = () => encoder.addRow(rowOfBytes('2', limit + 1));
    expect(add).toThrow(RangeError);
    expect(add).toThrow(
      new RegExp(
        `frame of entities for client 42 holds \\d+ rows in \\d+ bytes, above the frame payload limit of ${limit} bytes \\(maxFramePayloadBytes\\), ` +
          'so this file cannot be written\\. The row id 2 alone is \\d+ bytes .*shorten that value in the source',
      ),
    );
    // The open frame is kept: the file can never be finished without it.
    expect(() => encoder.finish()).toThrow(`above the frame payload limit of ${limit} bytes`);
  });

  it('refuses a frame whose deflated payload passes the limit, and one that many rows carry past it', () => {
    const limit = 20_000;
    // Level 0 stores: deflate adds a few bytes, so a raw frame at the limit is stored above it.
    const deflated = new SnapshotEncoder(header('deflate'), { maxFramePayloadBytes: limit, frameBytes: limit, deflateLevel: 0 });
    expect(() => deflated.addRow(rowOfBytes('7', limit))).toThrow(new RegExp(`in \\d+ bytes deflated \\(${limit} raw\\), above the frame payload limit of ${limit} bytes.*The row id 7 alone`));

    // frameBytes close to the limit: no single row is too large, the frame is.
    const many = new SnapshotEncoder(header(), { maxFramePayloadBytes: limit, frameBytes: limit - 10 });
    for (let id = 1; id <= 9; id++) many.addRow(rowOfBytes(String(id), 2000 + id));
    expect(() => many.addRow(rowOfBytes('10', 2100))).toThrow(/holds 10 rows in \d+ bytes, .*The last row id 10 is 2100 bytes: lower frameBytes \(now 19990\)/);
  });

  it('fails the publish through every strategy: the multipart upload is aborted and no manifest or object is committed', async () => {
    await using env = await snapshotTestStore({ partSize: MIN_PART_SIZE });
    const sent: string[] = [];
    const send = env.s3.send.bind(env.s3) as (...args: unknown[]) => Promise<unknown>;
    (env.s3 as unknown as { send: (...args: unknown[]) => Promise<unknown> }).send = (command: unknown, ...rest: unknown[]) => {
      sent.push((command as object).constructor.name);
      return send(command, ...rest);
    };
    const limit = 64 * 1024;
    const publisher = new SnapshotPublisher({
      store: env.store,
      compression: 'none',
      frame: { maxFramePayloadBytes: limit, frameBytes: 16 * 1024 },
      // The smallest batches, so `batched` writes output before it reaches the big row.
      batchSizing: { memory: () => ({ freeBytes: 0, limitedBy: 'cgroup' }) },
    });
    // More than a part of ordinary rows first, so the upload is multipart when the big row comes.
    const filler = Array.from({ length: 9000 }, (_, i): RowValues => [String(i + 1), '1', '2', '2024-01-01', null, 'x'.repeat(1000), 't']);
    const huge: RowValues = ['9001', '1', '2', '2024-01-01', null, 'y'.repeat(limit), 't'];
    for (const [i, strategy] of SERIALIZER_STRATEGIES.entries()) {
      const rawTarget: Target = { clientId: 100 + i, kind: 'raw-data' };
      sent.length = 0;
      await expect(
        publisher.publish({ target: rawTarget, fromWatermark: null, toWatermark: parseWatermark('10'), batches: [{ rows: filler, tombstones: [] }, { rows: [huge], tombstones: [] }], strategy }),
        strategy,
      ).rejects.toThrow(`above the frame payload limit of ${limit} bytes (maxFramePayloadBytes), so this file cannot be written. The row id 9001 alone`);
      expect(sent, strategy).toContain(CreateMultipartUploadCommand.name);
      expect(sent, strategy).toContain(AbortMultipartUploadCommand.name);
      expect(sent, strategy).not.toContain('CompleteMultipartUploadCommand');
      expect(await readManifest(env.store, rawTarget), strategy).toBeUndefined();
    }
    expect(await env.listKeys()).toEqual([]);
  });
});
