import { crc32, deflateRawSync } from 'node:zlib';
import type { CopyTextRows, RowKey, RowValues } from '@storage-builder/data-model';
import { appendCopyTextRow, reserveForCopyText } from './copy-text-row';
import {
  DEFAULT_DEFLATE_LEVEL,
  DEFAULT_FRAME_BYTES,
  DEFAULT_FRAME_ITEMS,
  FRAME_HEADER_BYTES,
  FRAME_TYPE_ROWS,
  FRAME_TYPE_TOMBSTONES,
  FRAME_TYPE_TRAILER,
  MAX_FRAME_PAYLOAD_BYTES,
  TRAILER_BYTES,
} from './format-constants';
import { encodeHeader, type SnapshotHeader } from './snapshot-header';
import { frameReadLimit } from './memory-budget';
import { PayloadBuilder, valueAt } from './row-codec';

export interface FrameOptions {
  /**
   * A frame closes after this many items (rows or tombstones).
   * @defaultValue {@link DEFAULT_FRAME_ITEMS}
   */
  frameItems?: number;
  /**
   * A frame closes at the first item boundary at or past this many uncompressed payload bytes.
   * @defaultValue {@link DEFAULT_FRAME_BYTES}
   */
  frameBytes?: number;
  /**
   * zlib level of `deflate` frames.
   * @defaultValue {@link DEFAULT_DEFLATE_LEVEL}
   */
  deflateLevel?: number;
  /**
   * The largest raw or stored payload of one frame; a frame above it fails the write.
   * Only lowers the format's limit (tests use a small one); readers refuse anything above
   * {@link MAX_FRAME_PAYLOAD_BYTES}, and this process's reader anything above
   * `frameReadLimit()`, so by default the writer goes past neither: what it commits it can
   * read back (a process with a smaller heap may not).
   * @defaultValue `frameReadLimit()` (memory-budget.ts)
   */
  maxFramePayloadBytes?: number;
}
export type ResolvedFrameOptions = Required<FrameOptions>;

export function resolveFrameOptions(options: FrameOptions = {}): ResolvedFrameOptions {
  const resolved = {
    frameItems: options.frameItems ?? DEFAULT_FRAME_ITEMS,
    frameBytes: options.frameBytes ?? DEFAULT_FRAME_BYTES,
    deflateLevel: options.deflateLevel ?? DEFAULT_DEFLATE_LEVEL,
    maxFramePayloadBytes: options.maxFramePayloadBytes ?? frameReadLimit(),
  };
  if (!Number.isInteger(resolved.frameItems) || resolved.frameItems < 1 || resolved.frameItems > 0xffffffff) {
    throw new Error(`frameItems is ${resolved.frameItems}: use a positive integer (default ${DEFAULT_FRAME_ITEMS})`);
  }
  if (!Number.isInteger(resolved.maxFramePayloadBytes) || resolved.maxFramePayloadBytes < 1 || resolved.maxFramePayloadBytes > MAX_FRAME_PAYLOAD_BYTES) {
    throw new Error(
      `maxFramePayloadBytes is ${resolved.maxFramePayloadBytes}: use a positive integer up to ${MAX_FRAME_PAYLOAD_BYTES}, the largest frame payload readers accept (the default)`,
    );
  }
  if (!Number.isInteger(resolved.frameBytes) || resolved.frameBytes < 1 || resolved.frameBytes > resolved.maxFramePayloadBytes) {
    throw new Error(`frameBytes is ${resolved.frameBytes}: use a positive integer up to ${resolved.maxFramePayloadBytes} (default ${DEFAULT_FRAME_BYTES})`);
  }
  if (!Number.isInteger(resolved.deflateLevel) || resolved.deflateLevel < 0 || resolved.deflateLevel > 9) {
    throw new Error(`deflateLevel is ${resolved.deflateLevel}: use 0-9 (default ${DEFAULT_DEFLATE_LEVEL})`);
  }
  return resolved;
}

/**
 * zlib's window and hash table for `deflate` frames. At level 1 on snapshot payloads a 4 KiB
 * window (12) with the largest hash table (9) costs about a quarter less CPU than zlib's
 * defaults (15, 8) and compresses as well: matches in row data lie close together. Any
 * inflater reads it (a raw DEFLATE stream never refers back further than its window).
 */
const DEFLATE_WINDOW_BITS = 12;
const DEFLATE_MEM_LEVEL = 9;

/** Totals of a finished file; `checksum` is the trailer's CRC32 of every byte before it. */
export interface SnapshotTotals {
  readonly rows: number;
  readonly tombstones: number;
  readonly frames: number;
  readonly bytes: number;
  readonly checksum: number;
}

/**
 * The synchronous core every strategy shares. Items go in one at a time or as arrays;
 * frame boundaries depend only on the sequence of items (count, payload size, a switch
 * between rows and tombstones), never on how callers grouped them, so every strategy
 * writes the same bytes. Output accumulates until `takeOutput()`.
 */
export class SnapshotEncoder {
  private readonly payload: PayloadBuilder;
  private readonly options: ResolvedFrameOptions;
  private readonly columns: number;
  private readonly deflate: boolean;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private frameType = FRAME_TYPE_ROWS;
  private frameCount = 0;
  private fileCrc = 0;
  private totals = { rows: 0, tombstones: 0, frames: 0, bytes: 0 };
  private finished = false;

  constructor(
    readonly header: SnapshotHeader,
    options: FrameOptions = {},
  ) {
    this.options = resolveFrameOptions(options);
    this.columns = header.columns.length;
    this.deflate = header.compression === 'deflate';
    this.payload = new PayloadBuilder(Math.min(this.options.frameBytes, 1 << 20) + 1024);
    this.emit(encodeHeader(header));
  }

  addRow(row: RowValues): void {
    if (row.length !== this.columns) {
      throw new RangeError(
        `row ${this.totals.rows} has ${row.length} values: ${this.header.kind} rows have ${this.columns} (${this.header.columns.map((c) => c.name).join(', ')})`,
      );
    }
    if (this.frameType !== FRAME_TYPE_ROWS) this.switchTo(FRAME_TYPE_ROWS);
    const start = this.payload.length;
    this.payload.writeRow(row);
    this.totals.rows++;
    if (++this.frameCount >= this.options.frameItems || this.payload.length >= this.options.frameBytes) this.closeFrame(start);
  }

  /** Adds the rows of COPY text lines, turning their bytes into payload without a string per value. */
  addCopyText(rows: CopyTextRows): void {
    const text = rows.copyText;
    if (text.length > 0 && this.frameType !== FRAME_TYPE_ROWS) this.switchTo(FRAME_TYPE_ROWS);
    reserveForCopyText(this.payload, text);
    for (let at = 0; at < text.length; ) {
      const start = this.payload.length;
      try {
        at = appendCopyTextRow(this.payload, text, at, this.columns);
      } catch (error) {
        throw new RangeError(`row ${this.totals.rows} of ${this.header.kind}: ${error instanceof Error ? error.message : String(error)}`);
      }
      this.totals.rows++;
      if (++this.frameCount >= this.options.frameItems || this.payload.length >= this.options.frameBytes) this.closeFrame(start);
    }
  }

  /**
   * Adds one row already in payload encoding, `source[start, end)`: a row of another
   * snapshot's frame of the same kind, copied as it is (compaction).
   */
  addEncodedRow(source: Buffer, start: number, end: number): void {
    if (this.frameType !== FRAME_TYPE_ROWS) this.switchTo(FRAME_TYPE_ROWS);
    const at = this.payload.length;
    source.copy(this.payload.ensure(end - start), at, start, end);
    this.payload.length = at + end - start;
    this.totals.rows++;
    if (++this.frameCount >= this.options.frameItems || this.payload.length >= this.options.frameBytes) this.closeFrame(at);
  }

  /** Adds `rows[start..end)`; a range lets callers slice a big batch without copying it. */
  addRows(rows: readonly RowValues[], start = 0, end = rows.length): void {
    for (let i = start; i < end; i++) this.addRow(rows[i] as RowValues);
  }

  addTombstone(key: RowKey): void {
    if (typeof key !== 'string') throw new TypeError(`tombstone ${this.totals.tombstones} is ${typeof key}: a key is the id as text`);
    if (this.frameType !== FRAME_TYPE_TOMBSTONES) this.switchTo(FRAME_TYPE_TOMBSTONES);
    const start = this.payload.length;
    this.payload.writeValue(key);
    this.totals.tombstones++;
    if (++this.frameCount >= this.options.frameItems || this.payload.length >= this.options.frameBytes) this.closeFrame(start);
  }

  addTombstones(keys: readonly RowKey[]): void {
    for (let i = 0; i < keys.length; i++) this.addTombstone(keys[i] as RowKey);
  }

  /** Closes the open frame and appends the trailer; nothing may be added after it. */
  finish(): SnapshotTotals {
    if (this.finished) throw new Error('snapshot encoder is already finished');
    this.closeFrame();
    const trailer = Buffer.alloc(TRAILER_BYTES);
    trailer[0] = FRAME_TYPE_TRAILER;
    trailer.writeBigUInt64BE(BigInt(this.totals.rows), 1);
    trailer.writeBigUInt64BE(BigInt(this.totals.tombstones), 9);
    trailer.writeUInt32BE(this.totals.frames, 17);
    const checksum = crc32(trailer.subarray(0, TRAILER_BYTES - 4), this.fileCrc);
    trailer.writeUInt32BE(checksum, TRAILER_BYTES - 4);
    this.pending.push(trailer);
    this.pendingBytes += trailer.length;
    this.totals.bytes += trailer.length;
    this.finished = true;
    return { ...this.totals, checksum };
  }

  /** Bytes produced since the last call, as one buffer (empty when none). */
  takeOutput(): Buffer {
    if (this.pending.length === 0) return EMPTY;
    const out = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return out;
  }

  /** Bytes waiting in `takeOutput()`, so callers can flush at a size they choose. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  get counts(): Readonly<{ rows: number; tombstones: number; frames: number; bytes: number }> {
    return this.totals;
  }

  private switchTo(type: number): void {
    this.closeFrame();
    this.frameType = type;
  }

  /** `lastStart`, when known: where the frame's last item begins in the payload (for the error). */
  private closeFrame(lastStart = -1): void {
    if (this.frameCount === 0) return;
    const raw = this.payload.view();
    // Readers refuse a frame above the limit, so the write must fail here: the error ends
    // the stream, which aborts the upload, and no manifest names the object. Both checks
    // compare lengths at hand (the raw one before deflating). The open frame is kept, so
    // any later add or finish fails the same way instead of writing a file without it.
    const limit = this.options.maxFramePayloadBytes;
    if (raw.length > limit) throw this.frameTooLarge(raw.length, raw.length, lastStart);
    const stored = this.deflate ? deflateRawSync(raw, { level: this.options.deflateLevel, windowBits: DEFLATE_WINDOW_BITS, memLevel: DEFLATE_MEM_LEVEL }) : raw;
    if (stored.length > limit) throw this.frameTooLarge(stored.length, raw.length, lastStart);
    const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + stored.length);
    frame[0] = this.frameType;
    frame.writeUInt32BE(this.frameCount, 1);
    frame.writeUInt32BE(stored.length, 5);
    frame.writeUInt32BE(raw.length, 9);
    frame.writeUInt32BE(crc32(stored), 13);
    stored.copy(frame, FRAME_HEADER_BYTES);
    this.emit(frame);
    this.totals.frames++;
    this.frameCount = 0;
    this.payload.reset();
  }

  private frameTooLarge(stored: number, raw: number, lastStart: number): RangeError {
    // A row's first value is its id; a tombstone is its key.
    const lastId = lastStart >= 0 ? valueAt(this.payload.view(), lastStart) : null;
    const { maxFramePayloadBytes: limit, frameBytes } = this.options;
    const what = this.frameType === FRAME_TYPE_ROWS ? 'row' : 'tombstone';
    const size = stored === raw ? `${raw} bytes` : `${stored} bytes deflated (${raw} raw)`;
    const which =
      limit === MAX_FRAME_PAYLOAD_BYTES
        ? 'MAX_FRAME_PAYLOAD_BYTES, the most snapshot readers accept'
        : limit === frameReadLimit()
          ? 'the most this process reads: a quarter of its heap limit'
          : 'maxFramePayloadBytes';
    const last = `${what}${lastId === null ? '' : ` id ${lastId}`}`;
    const lastBytes = lastStart >= 0 ? raw - lastStart : this.frameCount === 1 ? raw : undefined;
    const advice =
      lastBytes !== undefined && (lastBytes > limit || this.frameCount === 1)
        ? `The ${last} alone is ${lastBytes} bytes (its values as text), too large for one frame: no frame or batch setting splits one ${what}; shorten that value in the source.`
        : `The last ${last} is ${lastBytes ?? 'an unknown number of'} bytes: lower frameBytes (now ${frameBytes}) so frames close well before the limit.`;
    return new RangeError(
      `a snapshot frame of ${this.header.kind} for client ${this.header.clientId} holds ${this.frameCount} ${what}s in ${size}, ` +
        `above the frame payload limit of ${limit} bytes (${which}), so this file cannot be written. ${advice}`,
    );
  }

  private emit(chunk: Buffer): void {
    this.fileCrc = crc32(chunk, this.fileCrc);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.totals.bytes += chunk.length;
  }
}

const EMPTY = Buffer.alloc(0);
