import { KIND_SCHEMAS, parseDataKind, parseWatermark, type DataKind, type Watermark } from '@storage-builder/data-model';
import { KIND_DESCRIPTORS } from './kind-descriptors';
import { insertGeneratedRowsSql, sqlInteger } from './row-generators';
import { lease, type Lease, type SqlSource } from './sql-source';

/**
 * An open read-write transaction that already holds its xid8, for tests and the churn
 * generator: hold one open to pin the horizon, or open two and commit them in reverse
 * order to make out-of-order commits. Rolled back on dispose if not committed.
 */
export class WriteTransaction implements AsyncDisposable {
  private finished = false;

  private constructor(
    private readonly leased: Lease,
    /** This transaction's id: its writes carry it in `changed_xid` / `deleted_xid`. */
    readonly xid: Watermark,
  ) {}

  static async begin(source: SqlSource): Promise<WriteTransaction> {
    const leased = await lease(source);
    try {
      await leased.client.query('BEGIN');
      // Taking the id now (rather than at the first write) fixes the transaction's place in xid order.
      const { rows } = await leased.client.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
      return new WriteTransaction(leased, parseWatermark(rows[0]!.xid));
    } catch (error) {
      await leased.client.query('ROLLBACK').catch(() => undefined);
      leased.release();
      throw error;
    }
  }

  async query(sql: string, params: unknown[] = []): Promise<number> {
    this.assertOpen();
    const result = await this.leased.client.query(sql, params);
    return result.rowCount ?? 0;
  }

  /** Inserts generated rows with ids `fromId .. fromId + count - 1`. */
  async insertRows(kind: DataKind, clientId: number, fromId: number, count: number, seed = 1, textWidth = 40): Promise<number> {
    // Strings would be taken as SQL expressions by the generator: only numbers come in here.
    sqlInteger(fromId, 'fromId', 1, Number.MAX_SAFE_INTEGER);
    sqlInteger(count, 'count', 0, Number.MAX_SAFE_INTEGER);
    // References point into ids 1..100 of each referenced kind, whether or not those rows exist.
    return this.query(insertGeneratedRowsSql({ kind: parseDataKind(kind), clientId, fromId, count, seed, textWidth, referenceCount: () => '100' }));
  }

  /** Changes the rows with these ids in a visible way (the kind's `churnUpdate`). */
  updateRows(kind: DataKind, clientId: number, ids: readonly number[]): Promise<number> {
    const { schema, churnUpdate } = KIND_DESCRIPTORS[parseDataKind(kind)];
    return this.query(`UPDATE ${schema.table} SET ${churnUpdate} WHERE client_id = $1 AND id = ANY($2::bigint[])`, [clientId, ids]);
  }

  deleteRows(kind: DataKind, clientId: number, ids: readonly number[]): Promise<number> {
    const { table } = KIND_SCHEMAS[parseDataKind(kind)];
    return this.query(`DELETE FROM ${table} WHERE client_id = $1 AND id = ANY($2::bigint[])`, [clientId, ids]);
  }

  commit(): Promise<void> {
    return this.finish('COMMIT');
  }

  rollback(): Promise<void> {
    return this.finish('ROLLBACK');
  }

  /** Rolls back unless already committed or rolled back. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.finished ? Promise.resolve() : this.rollback();
  }

  private async finish(command: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    this.assertOpen();
    this.finished = true;
    try {
      await this.leased.client.query(command);
    } finally {
      this.leased.release();
    }
  }

  private assertOpen(): void {
    if (this.finished) throw new Error(`transaction ${this.xid} has already ended: begin a new WriteTransaction`);
  }
}
