import { crc32 } from 'node:zlib';
import {
  isDataKind,
  KIND_SCHEMAS,
  parseWatermark,
  targetId,
  type ColumnSpec,
  type DataKind,
  type Target,
  type Watermark,
} from '@storage-builder/data-model';
import { COMPRESSIONS, FORMAT_VERSION, MAGIC, MAX_HEADER_BYTES, type Compression } from './format-constants';
import { SnapshotFormatError } from './snapshot-format-error';

/** What a snapshot file says about itself before its first row. */
export interface SnapshotHeader {
  readonly kind: DataKind;
  readonly clientId: number;
  /** `null` for a base (a full snapshot); the watermark the delta starts at otherwise. */
  readonly fromWatermark: Watermark | null;
  /** Every change below this watermark is in the file (with the base and earlier deltas). */
  readonly toWatermark: Watermark;
  /** The kind's snapshot columns when the file was written, from `KIND_SCHEMAS`. */
  readonly columns: readonly ColumnSpec[];
  readonly compression: Compression;
}

export interface SnapshotHeaderInput {
  readonly target: Target;
  /** @defaultValue `null`: a base */
  readonly fromWatermark?: Watermark | null;
  readonly toWatermark: Watermark;
  /** @defaultValue `'none'` */
  readonly compression?: Compression;
}

/** Builds the header of a file for `target`, with the columns the data model defines for its kind. */
export function snapshotHeader(input: SnapshotHeaderInput): SnapshotHeader {
  const compression = input.compression ?? 'none';
  if (!COMPRESSIONS.includes(compression)) {
    throw new Error(`compression is ${JSON.stringify(compression)}: use one of ${COMPRESSIONS.join(', ')}`);
  }
  return {
    kind: input.target.kind,
    clientId: input.target.clientId,
    fromWatermark: input.fromWatermark ?? null,
    toWatermark: input.toWatermark,
    columns: KIND_SCHEMAS[input.target.kind].columns,
    compression,
  };
}

/** Magic, version u16, JSON length u32, JSON, CRC32 u32 of version..JSON. Key order is fixed so bytes are too. */
export function encodeHeader(header: SnapshotHeader): Buffer {
  const json = Buffer.from(
    JSON.stringify({
      kind: header.kind,
      clientId: header.clientId,
      fromWatermark: header.fromWatermark,
      toWatermark: header.toWatermark,
      columns: header.columns.map((c) => ({ name: c.name, pgType: c.pgType, nullable: c.nullable })),
      compression: header.compression,
    }),
    'utf8',
  );
  const out = Buffer.alloc(MAGIC.length + 2 + 4 + json.length + 4);
  MAGIC.copy(out, 0);
  out.writeUInt16BE(FORMAT_VERSION, MAGIC.length);
  out.writeUInt32BE(json.length, MAGIC.length + 2);
  json.copy(out, MAGIC.length + 6);
  out.writeUInt32BE(crc32(out.subarray(MAGIC.length, out.length - 4)), out.length - 4);
  return out;
}

/** The fixed part before the JSON: magic, version, JSON length. */
export const HEADER_PREFIX_BYTES = MAGIC.length + 2 + 4;

/** Checks magic and version and returns the JSON length that follows. */
export function decodeHeaderPrefix(prefix: Buffer): number {
  if (!prefix.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SnapshotFormatError('bad-magic', 'not a snapshot file: it does not start with the SBSNAP magic', 0);
  }
  const version = prefix.readUInt16BE(MAGIC.length);
  if (version !== FORMAT_VERSION) {
    throw new SnapshotFormatError(
      'unsupported-version',
      `snapshot format version ${version} is not supported: this reader reads version ${FORMAT_VERSION}; upgrade the reader or rewrite the snapshot`,
      MAGIC.length,
    );
  }
  const length = prefix.readUInt32BE(MAGIC.length + 2);
  if (length > MAX_HEADER_BYTES) {
    throw new SnapshotFormatError('corrupt-header', `header length ${length} exceeds ${MAX_HEADER_BYTES} bytes`, MAGIC.length + 2);
  }
  return length;
}

/** Verifies the header CRC and parses the JSON into a header, naming the first bad field. */
export function decodeHeaderBody(prefix: Buffer, json: Buffer, storedCrc: number): SnapshotHeader {
  const computed = crc32(json, crc32(prefix.subarray(MAGIC.length)));
  if (computed !== storedCrc) {
    throw new SnapshotFormatError('checksum-mismatch', 'header checksum does not match its bytes', HEADER_PREFIX_BYTES);
  }
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch {
    throw new SnapshotFormatError('corrupt-header', 'header is not valid JSON', HEADER_PREFIX_BYTES);
  }
  const bad = (field: string, why: string) => new SnapshotFormatError('corrupt-header', `header.${field} ${why}`, HEADER_PREFIX_BYTES);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const found = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new SnapshotFormatError('corrupt-header', `header is ${found}, not an object`, HEADER_PREFIX_BYTES);
  }
  const record = value as Record<string, unknown>;
  if (!isDataKind(record.kind)) throw bad('kind', `is ${JSON.stringify(record.kind)}: not a data kind`);
  if (typeof record.clientId !== 'number' || !Number.isSafeInteger(record.clientId) || record.clientId <= 0) {
    throw bad('clientId', `is ${JSON.stringify(record.clientId)}: not a positive integer`);
  }
  const watermark = (field: string, raw: unknown) => {
    try {
      return parseWatermark(raw, `header.${field}`);
    } catch (error) {
      throw new SnapshotFormatError('corrupt-header', (error as Error).message, HEADER_PREFIX_BYTES);
    }
  };
  const fromWatermark = record.fromWatermark === null ? null : watermark('fromWatermark', record.fromWatermark);
  const toWatermark = watermark('toWatermark', record.toWatermark);
  if (!COMPRESSIONS.includes(record.compression as Compression)) {
    throw bad('compression', `is ${JSON.stringify(record.compression)}: use one of ${COMPRESSIONS.join(', ')}`);
  }
  if (!Array.isArray(record.columns) || record.columns.length === 0) throw bad('columns', 'is not a non-empty array');
  const columns = record.columns.map((raw: unknown, index): ColumnSpec => {
    const column = raw as Partial<ColumnSpec> | null;
    if (
      typeof column !== 'object' ||
      column === null ||
      typeof column.name !== 'string' ||
      typeof column.pgType !== 'string' ||
      typeof column.nullable !== 'boolean'
    ) {
      throw bad(`columns[${index}]`, 'is not {name, pgType, nullable}');
    }
    return { name: column.name, pgType: column.pgType, nullable: column.nullable };
  });
  return {
    kind: record.kind,
    clientId: record.clientId,
    fromWatermark,
    toWatermark,
    columns,
    compression: record.compression as Compression,
  };
}

/** What a caller expects a file to be; any field left out is not checked. */
export interface SnapshotExpectation {
  readonly target?: Target;
  readonly fromWatermark?: Watermark | null;
  readonly toWatermark?: Watermark;
}

/** Refuses a header that belongs to another target or window, or to an older schema of its kind. */
export function checkHeader(header: SnapshotHeader, expect: SnapshotExpectation | undefined): void {
  const here = targetId({ clientId: header.clientId, kind: header.kind });
  if (expect?.target && targetId(expect.target) !== here) {
    throw new SnapshotFormatError('wrong-target', `snapshot is for ${here}, expected ${targetId(expect.target)}`);
  }
  if (expect?.fromWatermark !== undefined && expect.fromWatermark !== header.fromWatermark) {
    throw new SnapshotFormatError(
      'wrong-target',
      `snapshot ${here} starts at watermark ${String(header.fromWatermark)}, expected ${String(expect.fromWatermark)}`,
    );
  }
  if (expect?.toWatermark !== undefined && expect.toWatermark !== header.toWatermark) {
    throw new SnapshotFormatError(
      'wrong-target',
      `snapshot ${here} ends at watermark ${header.toWatermark}, expected ${expect.toWatermark}`,
    );
  }
  const current = KIND_SCHEMAS[header.kind].columns;
  const same =
    current.length === header.columns.length &&
    current.every((c, i) => c.name === header.columns[i]?.name && c.pgType === header.columns[i]?.pgType);
  if (!same) {
    throw new SnapshotFormatError(
      'schema-mismatch',
      `snapshot ${here} has columns (${header.columns.map((c) => c.name).join(', ')}), ` +
        `the data model has (${current.map((c) => c.name).join(', ')}): write a new base for this target`,
    );
  }
}
