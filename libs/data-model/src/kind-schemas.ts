import type { DataKind } from './data-kinds';

/** A column as it appears in snapshots, with the PostgreSQL type it is read from. */
export interface ColumnSpec {
  readonly name: string;
  readonly pgType: string;
  readonly nullable: boolean;
}

/**
 * What a snapshot of one kind holds. Every kind is keyed by `id`, unique within a client.
 * `client_id` and the change-tracking columns stay in the database: a target is already
 * one client, and tracking is the feed's business.
 */
export interface KindSchema {
  readonly kind: DataKind;
  /** Source table in PostgreSQL. */
  readonly table: string;
  /** Snapshot columns, in order; the first is the key. */
  readonly columns: readonly ColumnSpec[];
}

const column = (name: string, pgType: string, nullable = false): ColumnSpec => ({ name, pgType, nullable });

export const KIND_SCHEMAS: Readonly<Record<DataKind, KindSchema>> = {
  'raw-data': {
    kind: 'raw-data',
    table: 'raw_data',
    columns: [
      column('id', 'bigint'),
      column('entity_id', 'bigint'),
      column('data_item_id', 'bigint'),
      column('period', 'date'),
      column('numeric_value', 'numeric(20,6)', true),
      column('text_value', 'text', true),
      column('is_carryover', 'boolean'),
    ],
  },
  entities: {
    kind: 'entities',
    table: 'entities',
    columns: [
      column('id', 'bigint'),
      column('code', 'varchar(64)'),
      column('name', 'text'),
      column('parent_id', 'bigint', true),
      column('is_active', 'boolean'),
    ],
  },
  'data-items': {
    kind: 'data-items',
    table: 'data_items',
    columns: [
      column('id', 'bigint'),
      column('code', 'varchar(64)'),
      column('name', 'text'),
      column('unit', 'varchar(32)', true),
      column('value_type', 'varchar(16)'),
    ],
  },
  formulas: {
    kind: 'formulas',
    table: 'formulas',
    columns: [
      column('id', 'bigint'),
      column('code', 'varchar(64)'),
      column('expression', 'text'),
      column('description', 'text', true),
      column('revision', 'integer'),
    ],
  },
  'formula-associations': {
    kind: 'formula-associations',
    table: 'formula_associations',
    columns: [
      column('id', 'bigint'),
      column('formula_id', 'bigint'),
      column('entity_id', 'bigint'),
      column('data_item_id', 'bigint'),
      column('priority', 'integer'),
    ],
  },
};
