import { crc32, inflateRawSync } from 'node:zlib';
import type { RowKey, RowValues } from '@storage-builder/data-model';
import {
  FRAME_HEADER_BYTES,
  FRAME_TYPE_ROWS,
  FRAME_TYPE_TOMBSTONES,
  FRAME_TYPE_TRAILER,
  MAGIC,
  MAX_FRAME_PAYLOAD_BYTES,
  TRAILER_BYTES,
} from './format-constants';
import { decodeRows, decodeTombstones } from './row-codec';
import type { SnapshotTotals } from './snapshot-encoder';
import { SnapshotFormatError } from './snapshot-format-error';
import {
  checkHeader,
  decodeHeaderBody,
  decodeHeaderPrefix,
  HEADER_PREFIX_BYTES,
  type SnapshotExpectation,
  type SnapshotHeader,
} from './snapshot-header';

/** One decoded frame: upserted rows or deleted keys, in file order. */
export type SnapshotBatch =
  | { readonly type: 'rows'; readonly rows: readonly RowValues[] }
  | { readonly type: 'tombstones'; readonly keys: readonly RowKey[] };

/** One frame as stored, its checksum checked; the payload is inflated only when asked for. */
export interface SnapshotFrame {
  readonly type: 'rows' | 'tombstones';
  readonly count: number;
  /** Where the frame starts in the file. */
  readonly offset: number;
  /** The frame's payload (row-codec.ts); a frame a reader only skips is never inflated. */
  payload(): Buffer;
}

export interface SnapshotReader {
  readonly header: SnapshotHeader;
  /**
   * The frames, decoded, each checked against its CRC before it is yielded. The file is
   * whole only when iteration ends without an error (the trailer's counts and checksum
   * match and nothing follows it); a consumer must discard what it took from a file that
   * threw. Iterate this or `frames`, once.
   */
  readonly batches: AsyncIterable<SnapshotBatch>;
  /** The same frames undecoded, for readers that work on the encoded rows. */
  readonly frames: AsyncIterable<SnapshotFrame>;
  /** Totals from the verified trailer; `undefined` until `batches` or `frames` has been read to its end. */
  readonly totals: () => SnapshotTotals | undefined;
}

export interface ReadOptions {
  /**
   * A frame whose header gives a larger raw or stored payload is refused before it is read
   * or inflated. At most (and by default) {@link MAX_FRAME_PAYLOAD_BYTES}.
   */
  readonly maxFramePayloadBytes?: number;
}

/**
 * Reads a snapshot file as it streams in. Reads and checks the header before it returns;
 * throws {@link SnapshotFormatError} for anything malformed. Stopping early (or an error)
 * ends `source` through its iterator's `return()`, which destroys a Node stream.
 */
export async function readSnapshot(source: AsyncIterable<Uint8Array>, expect?: SnapshotExpectation, options: ReadOptions = {}): Promise<SnapshotReader> {
  const frameLimit = Math.min(options.maxFramePayloadBytes ?? MAX_FRAME_PAYLOAD_BYTES, MAX_FRAME_PAYLOAD_BYTES);
  const input = new ByteInput(source);
  let header: SnapshotHeader;
  try {
    // A short foreign file is "not a snapshot", not "a truncated snapshot".
    const available = await input.fill(MAGIC.length);
    if (!input.peek(available).equals(MAGIC.subarray(0, available))) {
      throw new SnapshotFormatError('bad-magic', 'not a snapshot file: it does not start with the SBSNAP magic', 0);
    }
    const prefix = await input.take(HEADER_PREFIX_BYTES, 'header');
    const length = decodeHeaderPrefix(prefix);
    const json = await input.take(length, 'header');
    const crc = (await input.take(4, 'header')).readUInt32BE(0);
    header = decodeHeaderBody(prefix, json, crc);
    checkHeader(header, expect);
  } catch (error) {
    await input.close();
    throw error;
  }
  let totals: SnapshotTotals | undefined;
  const frames = storedFrames(input, header, frameLimit, (done) => (totals = done));
  return { header, frames, batches: decoded(frames, header.columns.length), totals: () => totals };
}

async function* decoded(frames: AsyncIterable<SnapshotFrame>, columns: number): AsyncGenerator<SnapshotBatch> {
  for await (const frame of frames) {
    if (frame.type === 'rows') yield { type: 'rows', rows: decodeRows(frame.payload(), frame.count, columns, frame.offset) };
    else yield { type: 'tombstones', keys: decodeTombstones(frame.payload(), frame.count, frame.offset) };
  }
}

async function* storedFrames(input: ByteInput, header: SnapshotHeader, frameLimit: number, onTrailer: (totals: SnapshotTotals) => void): AsyncGenerator<SnapshotFrame> {
  const counted = { rows: 0, tombstones: 0, frames: 0 };
  try {
    for (;;) {
      const frameOffset = input.offset;
      const frameHeader = await input.take(1, 'frame or trailer');
      const type = frameHeader[0];
      if (type === FRAME_TYPE_TRAILER) {
        // The file checksum covers everything before its own four bytes.
        const crcBefore = input.crc;
        const fields = await input.take(TRAILER_BYTES - 1, 'trailer');
        const fileCrc = crc32(fields.subarray(0, fields.length - 4), crcBefore);
        const rows = Number(fields.readBigUInt64BE(0));
        const tombstones = Number(fields.readBigUInt64BE(8));
        const frameCount = fields.readUInt32BE(16);
        if (fields.readUInt32BE(20) !== fileCrc) {
          throw new SnapshotFormatError('checksum-mismatch', 'file checksum in the trailer does not match the file', frameOffset);
        }
        if (rows !== counted.rows || tombstones !== counted.tombstones || frameCount !== counted.frames) {
          throw new SnapshotFormatError(
            'count-mismatch',
            `trailer says ${rows} rows, ${tombstones} tombstones, ${frameCount} frames; the file holds ${counted.rows}, ${counted.tombstones}, ${counted.frames}`,
            frameOffset,
          );
        }
        if (!(await input.atEnd())) {
          throw new SnapshotFormatError('trailing-data', 'bytes follow the trailer', input.offset);
        }
        onTrailer({ ...counted, bytes: input.offset, checksum: fileCrc });
        return;
      }
      if (type !== FRAME_TYPE_ROWS && type !== FRAME_TYPE_TOMBSTONES) {
        throw new SnapshotFormatError('corrupt-frame', `unknown frame type 0x${(type ?? 0).toString(16)}`, frameOffset);
      }
      const fields = await input.take(FRAME_HEADER_BYTES - 1, 'frame header');
      const count = fields.readUInt32BE(0);
      const storedLength = fields.readUInt32BE(4);
      const rawLength = fields.readUInt32BE(8);
      const payloadCrc = fields.readUInt32BE(12);
      const compressed = header.compression === 'deflate';
      // The encoder refuses to write a frame above the format's limit, so a larger length is
      // corrupt; a reader may set a lower one, so a hostile header cannot make it allocate more.
      if (rawLength > frameLimit || storedLength > frameLimit) {
        const which = frameLimit === MAX_FRAME_PAYLOAD_BYTES ? 'the frame payload limit' : "this reader's frame limit";
        throw new SnapshotFormatError('corrupt-frame', `frame header gives ${storedLength}/${rawLength} bytes, above ${which} of ${frameLimit} bytes`, frameOffset);
      }
      if (
        count === 0 ||
        // Every item takes at least one byte per value: a count above that is corrupt, and
        // must not reach an array allocation.
        count * (type === FRAME_TYPE_ROWS ? header.columns.length : 1) > rawLength ||
        (!compressed && storedLength !== rawLength)
      ) {
        throw new SnapshotFormatError('corrupt-frame', `frame header is inconsistent (${count} items, ${storedLength}/${rawLength} bytes)`, frameOffset);
      }
      const stored = await input.take(storedLength, 'frame payload');
      if (crc32(stored) !== payloadCrc) {
        throw new SnapshotFormatError('checksum-mismatch', 'frame payload does not match its checksum', frameOffset);
      }
      let raw = compressed ? undefined : stored;
      const payload = () => (raw ??= inflate(stored, rawLength, frameOffset));
      counted.frames++;
      if (type === FRAME_TYPE_ROWS) counted.rows += count;
      else counted.tombstones += count;
      yield { type: type === FRAME_TYPE_ROWS ? 'rows' : 'tombstones', count, offset: frameOffset, payload };
    }
  } finally {
    await input.close();
  }
}

function inflate(stored: Buffer, rawLength: number, frameOffset: number): Buffer {
  let raw: Buffer;
  try {
    raw = inflateRawSync(stored, { maxOutputLength: Math.max(rawLength, 1) });
  } catch (error) {
    throw new SnapshotFormatError('corrupt-frame', `frame payload does not inflate: ${(error as Error).message}`, frameOffset);
  }
  if (raw.length !== rawLength) {
    throw new SnapshotFormatError('corrupt-frame', `frame inflates to ${raw.length} bytes, its header says ${rawLength}`, frameOffset);
  }
  return raw;
}

/** Pulls exactly the bytes asked for from an async iterable of chunks, tracking offset and a running CRC. */
class ByteInput {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private chunks: Buffer[] = [];
  private available = 0;
  private ended = false;
  private closed = false;
  offset = 0;
  crc = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  async take(length: number, what: string): Promise<Buffer> {
    while (this.available < length) {
      if (!(await this.pull())) {
        throw new SnapshotFormatError('truncated', `file ends inside the ${what}: ${length - this.available} more bytes expected`, this.offset + this.available);
      }
    }
    let out: Buffer;
    const first = this.chunks[0];
    if (first && first.length >= length) {
      out = first.subarray(0, length);
      if (first.length === length) this.chunks.shift();
      else this.chunks[0] = first.subarray(length);
    } else {
      const all = Buffer.concat(this.chunks, this.available);
      out = all.subarray(0, length);
      this.chunks = all.length > length ? [all.subarray(length)] : [];
    }
    this.available -= length;
    this.offset += length;
    this.crc = crc32(out, this.crc);
    return out;
  }

  /** Buffers up to `length` bytes without consuming them; returns how many are available. */
  async fill(length: number): Promise<number> {
    while (this.available < length && (await this.pull()));
    return Math.min(length, this.available);
  }

  peek(length: number): Buffer {
    return Buffer.concat(this.chunks, this.available).subarray(0, length);
  }

  async atEnd(): Promise<boolean> {
    while (this.available === 0) {
      if (!(await this.pull())) return true;
    }
    return false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.ended) await this.iterator.return?.();
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.iterator.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    if (next.value.length > 0) {
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.length);
      this.chunks.push(chunk);
      this.available += chunk.length;
    }
    return true;
  }
}
