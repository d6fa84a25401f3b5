/**
 * The five kinds of data the worker publishes for every client. A (client, kind) pair is
 * a target: one snapshot chain on S3.
 */
export const DATA_KINDS = ['raw-data', 'entities', 'data-items', 'formulas', 'formula-associations'] as const;

export type DataKind = (typeof DATA_KINDS)[number];

export function isDataKind(value: unknown): value is DataKind {
  return typeof value === 'string' && (DATA_KINDS as readonly string[]).includes(value);
}

/** Validates a kind from outside (a request, a file, a CLI flag), naming where it came from. */
export function parseDataKind(value: unknown, source = 'kind'): DataKind {
  if (isDataKind(value)) return value;
  throw new Error(`${source} is ${JSON.stringify(value)}: use one of ${DATA_KINDS.join(', ')}`);
}
