/**
 * The five kinds of data the worker publishes for every client. A (client, kind) pair is
 * a target: one snapshot chain on S3.
 */
export const DATA_KINDS = ['raw-data', 'entities', 'data-items', 'formulas', 'formula-associations'] as const;

export type DataKind = (typeof DATA_KINDS)[number];

export function isDataKind(value: unknown): value is DataKind {
  return typeof value === 'string' && (DATA_KINDS as readonly string[]).includes(value);
}

/**
 * A record with a value for every kind, in `DATA_KINDS` order: for per-kind tables that are
 * computed rather than written out, so they cannot miss a kind.
 */
export function perKind<T>(value: (kind: DataKind) => T): Record<DataKind, T> {
  return Object.fromEntries(DATA_KINDS.map((kind) => [kind, value(kind)])) as Record<DataKind, T>;
}

/** Validates a kind from outside (a request, a file, a CLI flag), naming where it came from. */
export function parseDataKind(value: unknown, source = 'kind'): DataKind {
  if (isDataKind(value)) return value;
  throw new Error(`${source} is ${JSON.stringify(value)}: use one of ${DATA_KINDS.join(', ')}`);
}
