import { describe, expect, it } from 'vitest';
import { DATA_KINDS, parseDataKind } from './data-kinds';
import { KIND_SCHEMAS } from './kind-schemas';
import { parseClientId, parseTargetId, targetId } from './target';

describe('target ids', () => {
  it('round-trip for every kind', () => {
    for (const kind of DATA_KINDS) {
      const target = { clientId: 7, kind };
      expect(parseTargetId(targetId(target))).toEqual(target);
    }
  });

  it('reject malformed ids, unknown kinds and bad client ids with the reason', () => {
    expect(() => parseTargetId('7/raw-data')).toThrow('is not of the form client-<id>/<kind>');
    expect(() => parseTargetId('client-7/rows')).toThrow('target kind is "rows": use one of raw-data, entities');
    expect(() => parseClientId('0')).toThrow('clientId is "0": a client id is a positive 32-bit integer');
    expect(() => parseClientId(2 ** 31)).toThrow(/positive 32-bit integer/);
    expect(parseClientId('42')).toBe(42);
  });
});

describe('kind schemas', () => {
  it('key every kind by id first, with unique column names', () => {
    for (const kind of DATA_KINDS) {
      const { columns } = KIND_SCHEMAS[parseDataKind(kind)];
      expect(columns[0]).toEqual({ name: 'id', pgType: 'bigint', nullable: false });
      expect(new Set(columns.map((c) => c.name)).size).toBe(columns.length);
    }
  });
});
