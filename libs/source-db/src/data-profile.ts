import { DATA_KINDS, type DataKind } from '@storage-builder/data-model';
import { kindFieldName, type KindFieldName } from './kind-field-name';

/** A kind as a profile names it among `rows`: `rawData`, `entities`, `dataItems`, ... */
export type ProfileRowsField = KindFieldName<DataKind>;

/**
 * The shape of seeded data. Row counts are totals over all clients; raw data is skewed so
 * that client 1 holds `rawDataSkew` of it (the incident's biggest client dwarfed the rest).
 */
export interface DataProfile {
  /** Clients 1..clients are created. */
  readonly clients: number;
  /** Rows of every kind, keyed by its field name, as profile files have always written them. */
  readonly rows: { readonly [K in DataKind as KindFieldName<K>]: number };
  /** Fraction (0..1) of raw-data rows that belong to client 1; the rest is split evenly. */
  readonly rawDataSkew: number;
  /** Characters in a raw-data `text_value` (and in long text of the other kinds). */
  readonly textWidth: number;
  /** Same seed, same data: values are hashes of (seed, client, id). */
  readonly seed: number;
}

const ROW_KIND_FIELDS: readonly ProfileRowsField[] = DATA_KINDS.map(kindFieldName);
const PROFILE_FIELDS = ['clients', 'rows', 'rawDataSkew', 'textWidth', 'seed'] as const;

/** Wide enough for realistic text, small enough for one page per row. */
export const MAX_TEXT_WIDTH = 4_000;
export const MAX_CLIENTS = 100_000;

/** Validates a profile from a file or a flag; errors name the field path and the rule. */
export function parseDataProfile(value: unknown, source = 'profile'): DataProfile {
  const object = expectObject(value, source);
  // An extra or misspelt field (`textwidth` beside `textWidth`) would otherwise be ignored without a word.
  for (const key of Object.keys(object)) {
    if (!(PROFILE_FIELDS as readonly string[]).includes(key)) {
      throw new Error(`${source}.${key} is not a profile field: use ${PROFILE_FIELDS.join(', ')}`);
    }
  }
  const rows = expectObject(object['rows'], `${source}.rows`);
  for (const key of Object.keys(rows)) {
    if (!(ROW_KIND_FIELDS as readonly string[]).includes(key)) {
      throw new Error(`${source}.rows.${key} is not a kind: use ${ROW_KIND_FIELDS.join(', ')}`);
    }
  }
  const count = (key: ProfileRowsField) => integer(rows[key], `${source}.rows.${key}`, 0, Number.MAX_SAFE_INTEGER, 'a non-negative integer');
  const profile: DataProfile = {
    clients: integer(object['clients'], `${source}.clients`, 1, MAX_CLIENTS, `an integer from 1 to ${MAX_CLIENTS}`),
    // Every field of ROW_KIND_FIELDS, which lists every kind: the object is complete.
    rows: Object.fromEntries(ROW_KIND_FIELDS.map((field) => [field, count(field)])) as DataProfile['rows'],
    rawDataSkew: fraction(object['rawDataSkew'], `${source}.rawDataSkew`),
    textWidth: integer(object['textWidth'], `${source}.textWidth`, 0, MAX_TEXT_WIDTH, `an integer from 0 to ${MAX_TEXT_WIDTH}`),
    seed: integer(object['seed'], `${source}.seed`, 0, 2_147_483_647, 'an integer from 0 to 2147483647'),
  };
  if (profile.clients === 1 && profile.rawDataSkew !== 1) {
    throw new Error(`${source}.rawDataSkew is ${profile.rawDataSkew} with one client: a single client holds all raw data, set it to 1`);
  }
  return profile;
}

function expectObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new Error(`${path} must be an object, got ${JSON.stringify(value) ?? 'undefined'}`);
}

function integer(value: unknown, path: string, min: number, max: number, rule: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max) return value;
  throw new Error(`${path} must be ${rule}, got ${JSON.stringify(value) ?? 'undefined'}`);
}

function fraction(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1) return value;
  throw new Error(`${path} must be a number from 0 to 1, got ${JSON.stringify(value) ?? 'undefined'}`);
}

/** Rows of `kind` for one client of the profile (see `rowsPerClient`). */
export function rowsOfKind(profile: DataProfile, kind: DataKind, clientId: number): number {
  return rowsPerClient(profile, kindFieldName(kind), clientId);
}

/** Rows of each kind per client: raw data skewed towards client 1, the other kinds even. */
export function rowsPerClient(profile: DataProfile, field: ProfileRowsField, clientId: number): number {
  const total = profile.rows[field];
  const { clients } = profile;
  if (field === 'rawData') {
    const first = clients === 1 ? total : Math.round(total * profile.rawDataSkew);
    if (clientId === 1) return first;
    return evenShare(total - first, clients - 1, clientId - 2);
  }
  return evenShare(total, clients, clientId - 1);
}

function evenShare(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}
