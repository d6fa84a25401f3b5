import { describe, expect, it } from 'vitest';
import { hasChanges, isCopyText, rowCount, unescapeCopyText } from './index';

const text = (s: string) => ({ copyText: Buffer.from(s, 'utf8') });

describe('rows as COPY text', () => {
  it('count one row per line, in either form', () => {
    expect(rowCount(text('1\ta\n2\tb\\nc\n'))).toBe(2);
    expect(rowCount(text(''))).toBe(0);
    expect(rowCount([['1', 'a']])).toBe(1);
    expect(isCopyText(text('1\n'))).toBe(true);
    expect(isCopyText([])).toBe(false);
  });

  it('make a batch hold changes when it has a row or a tombstone', () => {
    expect(hasChanges({ rows: text(''), tombstones: [] })).toBe(false);
    expect(hasChanges({ rows: text('1\n'), tombstones: [] })).toBe(true);
    expect(hasChanges({ rows: [], tombstones: ['7'] })).toBe(true);
    expect(hasChanges({ rows: [], tombstones: [] })).toBe(false);
  });

  it('undo every escape COPY defines', () => {
    expect(unescapeCopyText('\\b\\f\\n\\r\\t\\v\\\\\\101\\x42\\q')).toBe('\b\f\n\r\t\v\\ABq');
  });
});
