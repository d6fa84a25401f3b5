import { crc32 } from 'node:zlib';
import { KIND_SCHEMAS, parseWatermark } from '@storage-builder/data-model';
import { describe, expect, it } from 'vitest';
import { FORMAT_VERSION, MAGIC, MAX_HEADER_BYTES, TRAILER_BYTES } from './format-constants';
import { SnapshotFormatError } from './snapshot-format-error';
import { generateRows, inBatches } from './testing/generate-rows';
import { buildSnapshot, readAll } from './testing/snapshot-bytes';

const columns = KIND_SCHEMAS['raw-data'].columns.map((c) => ({ name: c.name, pgType: c.pgType, nullable: c.nullable }));
const header = { kind: 'raw-data', clientId: 7, fromWatermark: null, toWatermark: '900', columns, compression: 'none' };

/** Header bytes as FORMAT.md lays them out, built by hand so a field can hold anything. */
function headerBytes(json: string, options: { length?: number; crc?: number } = {}): Buffer {
  const body = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(MAGIC.length + 6 + body.length + 4);
  MAGIC.copy(out, 0);
  out.writeUInt16BE(FORMAT_VERSION, MAGIC.length);
  out.writeUInt32BE(options.length ?? body.length, MAGIC.length + 2);
  body.copy(out, MAGIC.length + 6);
  out.writeUInt32BE(options.crc ?? crc32(out.subarray(MAGIC.length, out.length - 4)), out.length - 4);
  return out;
}

async function errorOf(bytes: Buffer): Promise<SnapshotFormatError> {
  const error = await readAll(bytes).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SnapshotFormatError);
  return error as SnapshotFormatError;
}

// Cases snapshot-reader.test.ts and the fuzz test leave to chance: each header field, the
// schema and the trailer's counts, refused with the code and the field.
describe('snapshot reader on a corrupt header or trailer', () => {
  it.each([
    ['kind', { ...header, kind: 'rawdata' }, 'header.kind is "rawdata": not a data kind'],
    ['clientId', { ...header, clientId: 0 }, 'header.clientId is 0: not a positive integer'],
    ['fromWatermark', { ...header, fromWatermark: -1 }, 'header.fromWatermark is -1: a watermark is a transaction id'],
    ['toWatermark', { ...header, toWatermark: '9e2' }, 'header.toWatermark is "9e2": a watermark is a transaction id'],
    ['compression', { ...header, compression: 'gzip' }, 'header.compression is "gzip": use one of none, deflate'],
    ['columns', { ...header, columns: [] }, 'header.columns is not a non-empty array'],
    ['columns[1]', { ...header, columns: [columns[0], { name: 'x' }] }, 'header.columns[1] is not {name, pgType, nullable}'],
    ['the header', null, 'header is null, not an object'],
    ['the header', [header], 'header is an array, not an object'],
    ['the header', 'raw-data', 'header is a string, not an object'],
  ])('names %s', async (_field, json, message) => {
    const error = await errorOf(headerBytes(JSON.stringify(json)));
    expect(error.code).toBe('corrupt-header');
    expect(error.message).toContain(message);
  });

  it('refuses a header that is not JSON, a forged header checksum and an oversize header length', async () => {
    expect(await errorOf(headerBytes('{"kind": "raw-data",'))).toMatchObject({ code: 'corrupt-header', message: expect.stringContaining('header is not valid JSON') });
    expect(await errorOf(headerBytes(JSON.stringify(header), { crc: 1 }))).toMatchObject({ code: 'checksum-mismatch', message: expect.stringContaining('header checksum does not match its bytes') });
    const oversize = await errorOf(headerBytes(JSON.stringify(header), { length: MAX_HEADER_BYTES + 1 }));
    expect(oversize).toMatchObject({ code: 'corrupt-header', message: expect.stringContaining(`header length ${MAX_HEADER_BYTES + 1} exceeds ${MAX_HEADER_BYTES} bytes`) });
  });

  it('refuses columns of another schema of the kind, saying to write a new base', async () => {
    const renamed = columns.map((c, i) => (i === 1 ? { ...c, name: `${c.name}_old` } : c));
    const error = await errorOf(headerBytes(JSON.stringify({ ...header, columns: renamed })));
    expect(error.code).toBe('schema-mismatch');
    expect(error.message).toMatch(/^snapshot client-7\/raw-data has columns \(.*_old.*\), the data model has \(.*\): write a new base for this target/);
  });

  it('refuses a trailer whose counts disagree with the frames, even with a valid file checksum', async () => {
    const bytes = await buildSnapshot({ target: { clientId: 7, kind: 'raw-data' }, toWatermark: parseWatermark('900'), batches: inBatches(generateRows({ count: 100 }), [100]) });
    const forged = Buffer.from(bytes);
    forged.writeBigUInt64BE(101n, bytes.length - TRAILER_BYTES + 1);
    forged.writeUInt32BE(crc32(forged.subarray(0, forged.length - 4)), forged.length - 4);
    const error = await errorOf(forged);
    expect(error.code).toBe('count-mismatch');
    expect(error.message).toContain('trailer says 101 rows, 0 tombstones, 1 frames; the file holds 100, 0, 1');
  });
});
