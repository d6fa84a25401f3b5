import { unescapeCopyText } from '@storage-builder/data-model';
import { varintBytes, writeVarintAt, type PayloadBuilder } from './row-codec';

const TAB = 0x09;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const LETTER_N = 0x4e;

/** 1 for the bytes that end a run of plain value bytes: tab, newline, backslash. */
const STOPS = new Uint8Array(256);
STOPS[TAB] = 1;
STOPS[NEWLINE] = 1;
STOPS[BACKSLASH] = 1;

/**
 * What the byte after a backslash stands for: `\b \f \n \r \t \v` a control character,
 * any other ASCII byte itself, and 0 where the value must go through `unescapeCopyText`
 * (octal `\123` and hex `\x4F` may stand for a byte that is not UTF-8 text; and bytes past
 * ASCII). PostgreSQL's COPY output only ever writes the first kind and `\\`.
 */
const AFTER_BACKSLASH = (() => {
  const table = new Uint8Array(256);
  for (let byte = 1; byte < 0x80; byte++) table[byte] = byte;
  for (const [letter, stands] of Object.entries({ b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b })) table[letter.charCodeAt(0)] = stands;
  for (const slow of '01234567x') table[slow.charCodeAt(0)] = 0;
  return table;
})();

/**
 * Appends the COPY text row that starts at `text[start]` to `payload` as the values of a
 * frame payload (row-codec.ts) and returns where the next row starts. The bytes are copied
 * as they come (COPY text on a UTF-8 connection is UTF-8 already) with escapes undone, so
 * no string is made per value, and the payload is byte for byte what parsing the row into
 * strings and encoding those gives. The row must end in a newline within `text`, and
 * `reserveForCopyText` must have made room for `text` since the payload was last reset.
 */
export function appendCopyTextRow(payload: PayloadBuilder, text: Uint8Array, start: number, columns: number): number {
  const end = text.length;
  let out = payload.buffer;
  let o = payload.length;
  let i = start;
  for (let column = 1; ; column++) {
    // The length goes before the value: one byte is kept for it, more are made room for
    // after the value when it turns out 127 bytes or longer.
    const lengthAt = o++;
    const valueStart = i;
    let lengthWritten = false;
    let byte = -1;
    for (;;) {
      // The bytes of a value up to a tab, newline or backslash, one compare for most bytes.
      while (i < end) {
        byte = text[i] as number;
        if (STOPS[byte] === 1) break;
        out[o++] = byte;
        i++;
      }
      if (i >= end || byte !== BACKSLASH) break;
      const next = i + 1 < end ? (text[i + 1] as number) : NEWLINE;
      if (next === TAB || next === NEWLINE) {
        // A backslash that ends a value escapes nothing: it stays.
        out[o++] = BACKSLASH;
        i++;
        continue;
      }
      if (next === LETTER_N && i === valueStart && (i + 2 === end || text[i + 2] === TAB || text[i + 2] === NEWLINE)) {
        o = lengthAt;
        out[o++] = 0;
        lengthWritten = true;
        i += 2;
        byte = i < end ? (text[i] as number) : -1;
        break;
      }
      const stands = AFTER_BACKSLASH[next] as number;
      if (stands === 0) {
        payload.length = lengthAt;
        i = appendUnescaped(payload, text, valueStart);
        out = payload.buffer;
        o = payload.length;
        lengthWritten = true;
        byte = i < end ? (text[i] as number) : -1;
        break;
      }
      out[o++] = stands;
      i += 2;
    }
    if (!lengthWritten) {
      const length = o - lengthAt - 1;
      if (length < 127) {
        out[lengthAt] = length + 1;
      } else {
        const extra = varintBytes(length + 1) - 1;
        out.copyWithin(lengthAt + 1 + extra, lengthAt + 1, o);
        writeVarintAt(out, lengthAt, length + 1);
        o += extra;
      }
    }
    if (i >= end) throw new Error(`COPY text ended inside a row: ${quoteLine(text, start)}`);
    if (byte === NEWLINE) {
      if (column !== columns) throw fieldCountError(text, start, columns);
      payload.length = o;
      return i + 1;
    }
    if (column === columns) throw fieldCountError(text, start, columns);
    i++;
  }
}

/**
 * Room enough in `payload` for every row of `text` to be appended: a row's payload is never
 * longer than its text except by the varint bytes of values of 127 bytes or more (at most
 * 4 more per 128 bytes), and values that go through the string path make their own room.
 */
export function reserveForCopyText(payload: PayloadBuilder, text: Uint8Array): void {
  payload.ensure(text.length + Math.ceil(text.length / 32) + 8);
}

/** The value at `text[valueStart]` through the string path; returns where the value ends. */
function appendUnescaped(payload: PayloadBuilder, text: Uint8Array, valueStart: number): number {
  let valueEnd = valueStart;
  while (valueEnd < text.length && text[valueEnd] !== TAB && text[valueEnd] !== NEWLINE) valueEnd++;
  payload.writeValue(unescapeCopyText(Buffer.from(text.buffer, text.byteOffset + valueStart, valueEnd - valueStart).toString('utf8')));
  return valueEnd;
}

function lineAt(text: Uint8Array, start: number): string {
  const bytes = Buffer.from(text.buffer, text.byteOffset, text.length);
  const newline = bytes.indexOf(NEWLINE, start);
  return bytes.toString('utf8', start, newline === -1 ? bytes.length : newline);
}

function quoteLine(text: Uint8Array, start: number): string {
  return JSON.stringify(lineAt(text, start).slice(0, 80));
}

function fieldCountError(text: Uint8Array, start: number, columns: number): Error {
  const fields = lineAt(text, start).split('\t').length;
  return new Error(`COPY row has ${fields} fields, expected ${columns}: ${quoteLine(text, start)}`);
}
