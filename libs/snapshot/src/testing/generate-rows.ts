import { KIND_SCHEMAS, type DataKind, type RowValues, type ValueBatch } from '@storage-builder/data-model';

/** A small seeded PRNG (mulberry32): the same seed gives the same rows on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SAMPLE_TEXT = ['', 'ok', 'Umsatz Q3', 'naïve café', 'ключ', '数据项', 'emoji 🚀 text', 'tab\tand\nnewline', 'back\\slash'];

export interface GenerateRowsOptions {
  readonly kind?: DataKind;
  readonly count: number;
  readonly seed?: number;
  /** First id; ids are consecutive. @defaultValue 1 */
  readonly firstId?: number;
  /** Share of nullable values that are null. @defaultValue 0.2 */
  readonly nullShare?: number;
}

/** Rows shaped like `KIND_SCHEMAS[kind]` in PostgreSQL text form, deterministic for a seed. */
export function generateRows(options: GenerateRowsOptions): RowValues[] {
  const kind = options.kind ?? 'raw-data';
  const random = seededRandom(options.seed ?? 1);
  const nullShare = options.nullShare ?? 0.2;
  const columns = KIND_SCHEMAS[kind].columns;
  const first = options.firstId ?? 1;
  const rows: RowValues[] = new Array<RowValues>(options.count);
  for (let r = 0; r < options.count; r++) {
    const row: (string | null)[] = new Array<string | null>(columns.length);
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c]!;
      if (c === 0) row[c] = String(first + r);
      else if (column.nullable && random() < nullShare) row[c] = null;
      else row[c] = valueFor(column.pgType, random);
    }
    rows[r] = row;
  }
  return rows;
}

function valueFor(pgType: string, random: () => number): string {
  if (pgType === 'bigint' || pgType === 'integer') return String(Math.floor(random() * 1_000_000));
  if (pgType === 'boolean') return random() < 0.5 ? 't' : 'f';
  if (pgType === 'date') return `20${10 + Math.floor(random() * 15)}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-01`;
  if (pgType.startsWith('numeric')) return (random() * 1e6 - 5e5).toFixed(6);
  return SAMPLE_TEXT[Math.floor(random() * SAMPLE_TEXT.length)]! + String(Math.floor(random() * 1000));
}

/** Cuts rows into feed batches of the given sizes, cycling through them. */
export function inBatches(rows: readonly RowValues[], sizes: readonly number[], tombstones: readonly string[] = []): ValueBatch[] {
  const batches: ValueBatch[] = [];
  let at = 0;
  for (let i = 0; at < rows.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]!);
    batches.push({ rows: rows.slice(at, at + size), tombstones: [] });
    at += size;
  }
  if (tombstones.length > 0) batches.push({ rows: [], tombstones });
  return batches;
}

export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
