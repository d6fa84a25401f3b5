import { describe, expect, it } from 'vitest';
import type { RowValues } from '@storage-builder/data-model';
import { rowDifference } from './snapshot-verification';

const rows = (...entries: Array<[string, RowValues]>) => new Map(entries);

describe('rowDifference', () => {
  it('finds equal sets equal, whatever their order', () => {
    expect(rowDifference(rows(['a', ['a', '1']], ['b', ['b', null]]), rows(['b', ['b', null]], ['a', ['a', '1']]))).toBeUndefined();
  });

  it('names a missing, a changed and an extra row', () => {
    expect(rowDifference(rows(), rows(['a', ['a', '1']]))).toBe('row a is missing from the snapshot');
    expect(rowDifference(rows(['a', ['a', '1']]), rows(['a', ['a', '2']]))).toMatch(/^row a differs/);
    expect(rowDifference(rows(['a', ['a', null]]), rows(['a', ['a', 'null']]))).toMatch(/^row a differs/);
    expect(rowDifference(rows(['a', ['a']], ['z', ['z']]), rows(['a', ['a']]))).toBe('row z is in the snapshot but not in the database');
  });
});
