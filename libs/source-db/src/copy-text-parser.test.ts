import { describe, expect, it } from 'vitest';
import type { RowValues } from '@storage-builder/data-model';
import { CopyTextParser } from './copy-text-parser';

function parse(columns: number, chunks: Buffer[]): RowValues[] {
  const parser = new CopyTextParser(columns);
  const rows: RowValues[] = [];
  for (const chunk of chunks) parser.push(chunk, rows);
  parser.end();
  return rows;
}

describe('CopyTextParser', () => {
  // Bytes as the server writes them: tab-separated, \N for NULL, backslash escapes.
  const output = Buffer.from('1\t\\N\tplain\n2\ta\\tb\\nc\\\\d\t\\\\N\n3\tünï 𝄞\t\n');
  const expected = [
    ['1', null, 'plain'],
    ['2', 'a\tb\nc\\d', '\\N'],
    ['3', 'ünï 𝄞', ''],
  ];

  it('splits rows and fields, turns \\N into null and undoes escapes', () => {
    expect(parse(3, [output])).toEqual(expected);
  });

  it('gives the same rows however the bytes are cut, even inside a UTF-8 character or an escape', () => {
    for (let cut = 1; cut < output.length; cut++) {
      expect(parse(3, [output.subarray(0, cut), output.subarray(cut)])).toEqual(expected);
    }
    expect(parse(3, [...output].map((byte) => Buffer.from([byte])))).toEqual(expected);
  });

  it('fails on a row with the wrong number of fields or output cut inside a row', () => {
    expect(() => parse(2, [output])).toThrow('COPY row has 3 fields, expected 2');
    expect(() => parse(3, [Buffer.from('1\ta\tb')])).toThrow('COPY output ended inside a row');
  });
});

describe('CopyTextParser on a value of many chunks', () => {
  it('searches each character once, however many chunks a row spans', () => {
    const value = 'x'.repeat(64 * 1024);
    const output = Buffer.from(`1\t${value}\n2\tshort\n`);
    const parser = new CopyTextParser(2);
    const rows: RowValues[] = [];
    for (let at = 0; at < output.length; at += 1000) parser.push(output.subarray(at, at + 1000), rows);
    parser.end();
    expect(rows).toEqual([['1', value], ['2', 'short']]);
    expect(parser.scannedChars).toBe(output.length);
  });
});
