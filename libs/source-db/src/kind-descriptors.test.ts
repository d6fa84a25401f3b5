import { DATA_KINDS, KIND_SCHEMAS } from '@storage-builder/data-model';
import { describe, expect, it } from 'vitest';
import { KIND_DESCRIPTORS } from './kind-descriptors';

describe('KIND_DESCRIPTORS', () => {
  it('describe each kind under its own name, with its schema and the table its migration creates', () => {
    for (const kind of DATA_KINDS) {
      const { schema, createTableSql } = KIND_DESCRIPTORS[kind];
      expect(schema).toBe(KIND_SCHEMAS[kind]);
      expect(createTableSql).toMatch(new RegExp(`^CREATE TABLE ${schema.table} \\(`));
    }
  });

  it('give every kind its own one-digit generator salt', () => {
    const salts = DATA_KINDS.map((kind) => KIND_DESCRIPTORS[kind].salt);
    expect(new Set(salts).size).toBe(salts.length);
    for (const salt of salts) expect(Number.isInteger(salt) && salt >= 1 && salt <= 9).toBe(true);
  });
});
