import { DATA_KINDS } from '@storage-builder/data-model';
import { describe, expect, it } from 'vitest';
import { kindFieldName } from './kind-field-name';

describe('kindFieldName', () => {
  it('spells each kind as the identifier profile files and the legacy provider use', () => {
    expect(DATA_KINDS.map(kindFieldName)).toEqual(['rawData', 'entities', 'dataItems', 'formulas', 'formulaAssociations']);
  });
});
