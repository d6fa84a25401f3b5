import type { RowKey, RowValues } from '@storage-builder/data-model';
import { SnapshotFormatError } from './snapshot-format-error';

/**
 * The payload of one frame being built. A value is a LEB128 varint of `byteLength + 1`
 * (0 = SQL NULL) followed by its UTF-8 bytes; a row is its values in column order, a
 * tombstone one value. Varints keep the common short value at one byte of overhead.
 */
export class PayloadBuilder {
  /** Where the payload is built; `ensure` may replace it, so hold it only between writes. */
  buffer: Buffer;
  length = 0;

  constructor(initialCapacity: number) {
    this.buffer = Buffer.allocUnsafe(initialCapacity);
  }

  /** The bytes written so far; valid until the next write or reset. */
  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }

  writeRow(row: RowValues): void {
    for (let i = 0; i < row.length; i++) this.writeValue(row[i] ?? null);
  }

  writeValue(value: string | null): void {
    if (value === null) {
      this.ensure(1);
      this.buffer[this.length++] = 0;
      return;
    }
    // A string of fewer than 43 UTF-16 units has fewer than 127 UTF-8 bytes, so its
    // varint is one byte: write the text first and the length after, in one pass.
    if (value.length < 43) {
      this.ensure(1 + value.length * 3);
      const written = this.buffer.write(value, this.length + 1, 'utf8');
      this.buffer[this.length] = written + 1;
      this.length += 1 + written;
      return;
    }
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.ensure(5 + byteLength);
    this.length = writeVarintAt(this.buffer, this.length, byteLength + 1);
    this.length += this.buffer.write(value, this.length, 'utf8');
  }

  /** Makes room for `extra` more bytes after `length`; returns the (possibly new) buffer. */
  ensure(extra: number): Buffer {
    if (this.length + extra <= this.buffer.length) return this.buffer;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
    return grown;
  }
}

/** Bytes of the LEB128 varint of `value`. */
export function varintBytes(value: number): number {
  let bytes = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 128)) bytes++;
  return bytes;
}

/** Writes the LEB128 varint of `value` at `offset`; returns the offset after it. */
export function writeVarintAt(buffer: Buffer, offset: number, value: number): number {
  let at = offset;
  let rest = value;
  while (rest >= 0x80) {
    buffer[at++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 128);
  }
  buffer[at++] = rest;
  return at;
}

/** Reads values back from one frame's payload, refusing anything that runs past its end. */
export class PayloadCursor {
  position = 0;
  constructor(
    private readonly payload: Buffer,
    private readonly frameOffset: number,
  ) {}

  get done(): boolean {
    return this.position >= this.payload.length;
  }

  readValue(): string | null {
    const end = this.valueEnd();
    if (end < 0) return null;
    const text = this.payload.toString('utf8', this.position, end);
    this.position = end;
    return text;
  }

  /** Moves past `count` values without decoding them. */
  skipValues(count: number): void {
    for (let i = 0; i < count; i++) {
      const end = this.valueEnd();
      if (end >= 0) this.position = end;
    }
  }

  /** Reads the value's length and moves to its bytes; returns where they end, or -1 for NULL. */
  private valueEnd(): number {
    let encoded = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (i === 5 || this.position >= this.payload.length) throw this.corrupt('a value length runs past the frame');
      const byte = this.payload[this.position++] as number;
      encoded += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 128;
    }
    if (encoded === 0) return -1;
    const end = this.position + encoded - 1;
    if (end > this.payload.length) throw this.corrupt('a value runs past the frame');
    return end;
  }

  corrupt(why: string): SnapshotFormatError {
    return new SnapshotFormatError('corrupt-frame', `frame payload is malformed: ${why}`, this.frameOffset);
  }
}

/** The value that starts at `offset` of a payload (which must hold one there). */
export function valueAt(payload: Buffer, offset: number): string | null {
  const cursor = new PayloadCursor(payload, 0);
  cursor.position = offset;
  return cursor.readValue();
}

export function decodeRows(payload: Buffer, count: number, columns: number, frameOffset: number): RowValues[] {
  const cursor = new PayloadCursor(payload, frameOffset);
  const rows: RowValues[] = new Array<RowValues>(count);
  for (let r = 0; r < count; r++) {
    const row = new Array<string | null>(columns);
    for (let c = 0; c < columns; c++) row[c] = cursor.readValue();
    rows[r] = row;
  }
  if (!cursor.done) throw cursor.corrupt(`bytes left after ${count} rows`);
  return rows;
}

export function decodeTombstones(payload: Buffer, count: number, frameOffset: number): RowKey[] {
  const cursor = new PayloadCursor(payload, frameOffset);
  const keys: RowKey[] = new Array<RowKey>(count);
  for (let k = 0; k < count; k++) {
    const key = cursor.readValue();
    if (key === null) throw cursor.corrupt('a tombstone key is null');
    keys[k] = key;
  }
  if (!cursor.done) throw cursor.corrupt(`bytes left after ${count} tombstones`);
  return keys;
}
