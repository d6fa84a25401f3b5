import { describe, expect, it } from 'vitest';
import { DATA_KINDS, perKind } from './data-kinds';

describe('perKind', () => {
  it('gives every kind a value, in DATA_KINDS order', () => {
    const record = perKind((kind) => kind.length);
    expect(Object.keys(record)).toEqual([...DATA_KINDS]);
    expect(record['formula-associations']).toBe('formula-associations'.length);
  });
});
