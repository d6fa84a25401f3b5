import { DATA_KINDS, KIND_SCHEMAS, parseClientId, parseDataKind, type DataKind, type Watermark } from '@storage-builder/data-model';
import { MAX_TEXT_WIDTH } from './data-profile';
import { assertSchemaCurrent } from './migrate';
import { KIND_DESCRIPTORS } from './kind-descriptors';
import { insertGeneratedRowsSql, sqlInteger } from './row-generators';
import { withConnection, type SqlSource } from './sql-source';
import { WriteTransaction } from './write-transaction';

export interface ChurnOptions {
  /**
   * Changes per (client, kind) as a fraction of its rows, from 0 to 1: about that many
   * rows are updated, as many deleted, and as many inserted (new ids above the largest).
   */
  rate: number;
  /** Which rows change is a hash of the seed and the id; vary it between runs. */
  seed: number;
  /**
   * Clients to change.
   * @defaultValue every client in `clients`
   */
  clientIds?: readonly number[];
  /**
   * Kinds to change.
   * @defaultValue every kind in `DATA_KINDS`
   */
  kinds?: readonly DataKind[];
  /**
   * Split the work into two transactions that commit in the reverse of their xid order:
   * A takes its xid and inserts first, B updates and deletes and commits, then A commits.
   * This is the case that loses rows under a `version > last` watermark.
   * @defaultValue `false`
   */
  outOfOrder?: boolean;
  /**
   * Width of text in inserted rows.
   * @defaultValue {@link DEFAULT_CHURN_TEXT_WIDTH}
   */
  textWidth?: number;
}

export interface ChurnResult {
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  /** The writing transactions, in the order they committed. */
  readonly commitOrder: readonly Watermark[];
}

export const DEFAULT_CHURN_TEXT_WIDTH = 40;

/** Applies inserts, updates and deletes to a migrated database. */
export async function applyChurn(source: SqlSource, options: ChurnOptions): Promise<ChurnResult> {
  if (typeof options.rate !== 'number' || !(options.rate >= 0 && options.rate <= 1)) {
    throw new Error(`rate is ${JSON.stringify(options.rate)}: use a fraction of each table's rows from 0 to 1`);
  }
  if (!Number.isSafeInteger(options.seed) || options.seed < 0 || options.seed > 2_147_483_647) {
    throw new Error(`seed is ${JSON.stringify(options.seed)}: use an integer from 0 to 2147483647`);
  }
  const textWidth = sqlInteger(options.textWidth ?? DEFAULT_CHURN_TEXT_WIDTH, 'textWidth', 0, MAX_TEXT_WIDTH);
  const kinds = (options.kinds ?? DATA_KINDS).map((kind) => parseDataKind(kind, 'kinds[]'));
  const clientIds = options.clientIds?.map((id) => parseClientId(id, 'clientIds[]')) ?? (await listClients(source));
  // Rows are picked by hash, in millionths, so the same seed changes the same rows.
  const threshold = Math.round(options.rate * 1_000_000);
  const picked = (salt: number) => `abs(hashint8extended(id, ${options.seed * 10 + salt}) % 1000000) < ${threshold}`;

  await using inserter = await WriteTransaction.begin(source);
  const changer = options.outOfOrder ? await WriteTransaction.begin(source) : inserter;
  try {
    let inserted = 0;
    let updated = 0;
    let deleted = 0;
    for (const clientId of clientIds) {
      for (const kind of kinds) {
        const { schema: { table }, churnUpdate } = KIND_DESCRIPTORS[kind];
        const where = `client_id = ${clientId}`;
        inserted += await inserter.query(
          insertGeneratedRowsSql({
            kind,
            clientId,
            fromId: `(SELECT coalesce(max(id), 0) + 1 FROM ${table} WHERE ${where})`,
            count: `(SELECT round(count(*) * ${options.rate}) FROM ${table} WHERE ${where})`,
            seed: options.seed,
            textWidth,
            referenceCount: (referenced) => `(SELECT count(*) FROM ${KIND_SCHEMAS[referenced].table} WHERE ${where})`,
          }),
        );
        updated += await changer.query(`UPDATE ${table} SET ${churnUpdate} WHERE ${where} AND ${picked(1)}`);
        deleted += await changer.query(`DELETE FROM ${table} WHERE ${where} AND ${picked(2)}`);
      }
    }
    const commitOrder: Watermark[] = [];
    if (changer !== inserter) {
      await changer.commit();
      commitOrder.push(changer.xid);
    }
    await inserter.commit();
    commitOrder.push(inserter.xid);
    return { inserted, updated, deleted, commitOrder };
  } finally {
    if (changer !== inserter) await changer[Symbol.asyncDispose]();
  }
}

async function listClients(source: SqlSource): Promise<number[]> {
  return withConnection(source, async (client) => {
    await assertSchemaCurrent(client);
    const { rows } = await client.query<{ id: number }>('SELECT id FROM clients ORDER BY id');
    return rows.map((row) => row.id);
  });
}
