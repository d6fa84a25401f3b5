import { KIND_SCHEMAS, parseWatermark, type RowValues } from '@storage-builder/data-model';
import { describe, expect, it } from 'vitest';
import { SnapshotEncoder } from './snapshot-encoder';
import { snapshotHeader } from './snapshot-header';
import { generateRows } from './testing/generate-rows';

const header = snapshotHeader({ target: { clientId: 7, kind: 'entities' }, fromWatermark: null, toWatermark: parseWatermark('90'), compression: 'none' });
const COLUMNS = KIND_SCHEMAS.entities.columns.length;

/** COPY text as PostgreSQL writes it: backslash, newline, CR, tab, \b \f \v escaped; NULL as \N. */
function copyLine(row: RowValues): string {
  const escapes: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v' };
  return `${row.map((v) => (v === null ? '\\N' : v.replace(/[\\\n\r\t\b\f\v]/g, (c) => escapes[c]!))).join('\t')}\n`;
}

function encodeValues(rows: readonly RowValues[], frame = {}): Buffer {
  const encoder = new SnapshotEncoder(header, frame);
  encoder.addRows(rows);
  encoder.finish();
  return encoder.takeOutput();
}

function encodeCopyText(chunks: readonly string[], frame = {}): Buffer {
  const encoder = new SnapshotEncoder(header, frame);
  for (const chunk of chunks) encoder.addCopyText({ copyText: Buffer.from(chunk, 'utf8') });
  encoder.finish();
  return encoder.takeOutput();
}

describe('COPY text rows into frame payloads', () => {
  it('writes the same bytes as the values they stand for: escapes, NULLs, unicode, empty and long values', () => {
    const rows: RowValues[] = [
      ['1', 'a', 'tab\there, newline\nthere, CR\r, \b\f\v and a back\\slash', null, 't'],
      ['2', '', '\\N', '\\', 'f'],
      ['3', 'ключ 数据项 🚀', 'x'.repeat(126), 'y'.repeat(127), 't'],
      ['4', 'z'.repeat(128), 'ü'.repeat(70_000), '\\\\N\\', 'f'],
      ['5', null, null, null, 'f'],
      ...generateRows({ kind: 'entities', count: 5_000, seed: 3, firstId: 6 }),
    ];
    const text = rows.map(copyLine).join('');
    const expected = encodeValues(rows, { frameItems: 333, frameBytes: 40_000 });
    expect(encodeCopyText([text], { frameItems: 333, frameBytes: 40_000 })).toEqual(expected);
    // Chunks end at row boundaries anywhere: frames still close where the values path closes them.
    const lines = rows.map(copyLine);
    expect(encodeCopyText([lines.slice(0, 2).join(''), lines.slice(2, 700).join(''), lines.slice(700).join('')], { frameItems: 333, frameBytes: 40_000 })).toEqual(expected);
  });

  it('undoes escapes PostgreSQL accepts but does not print (octal, hex, any other letter) as the text parser does', () => {
    const text = '1\t\\101\\x42\\q\\200\tok\\\\\t\\N\tt\n2\t\\xZZ\t\\0\t\\7777\tf\n';
    const rows: RowValues[] = [
      ['1', 'ABq\u0080', 'ok\\', null, 't'],
      ['2', 'xZZ', '\u0000', '\u00ff7', 'f'],
    ];
    expect(encodeCopyText([text])).toEqual(encodeValues(rows));
  });

  it('refuses a row with too few or too many fields, or cut before its newline, naming the row', () => {
    expect(() => encodeCopyText(['1\ta\tb\t\\N\n'])).toThrow(/row 0 of entities: COPY row has 4 fields, expected 5: "1\\ta\\tb\\t\\\\N"/);
    expect(() => encodeCopyText([`${copyLine(['1', 'a', 'b', null, 't'])}2\ta\tb\tc\tt\textra\n`])).toThrow(/row 1 of entities: COPY row has 6 fields, expected 5/);
    expect(() => encodeCopyText(['1\ta\tb\tc\tt'])).toThrow(/COPY text ended inside a row: "1\\ta\\tb\\tc\\tt"/);
    expect(COLUMNS).toBe(5);
  });
});
