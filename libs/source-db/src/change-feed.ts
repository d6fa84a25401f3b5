import type { Readable } from 'node:stream';
import { KIND_SCHEMAS, compareWatermarks, parseWatermark, type ChangeBatch, type RowValues, type Target, type ValueBatch, type Watermark } from '@storage-builder/data-model';
import { CopyOutRows } from './copy-out-rows';
import { CopyTextParser } from './copy-text-parser';
import { copyOut, feedRowsQuery, feedTombstonesQuery } from './feed-queries';
import { resolveChangeFeedOptions, type ChangeFeedOptions, type ResolvedChangeFeedOptions } from './feed-options';
import { readHorizon, type HorizonReport } from './horizon-report';
import { assertSchemaCurrent } from './migrate';
import { lease, type Lease } from './sql-source';
import { SOURCE_CLIENT_ENCODING } from './source-pool';

/**
 * One read of a target's changes, inside one `REPEATABLE READ READ ONLY` transaction that
 * stays open until the batches are drained or `close()` is called.
 */
export interface ChangeFeed<Batch extends ChangeBatch = ValueBatch> extends AsyncDisposable {
  readonly target: Target;
  /** What was asked for: `null` is a full read. */
  readonly since: Watermark | null;
  /**
   * Where the next read starts: `pg_snapshot_xmin(pg_current_snapshot())` of this read's
   * transaction. Every change by a transaction below it is in this read's batches. Save it
   * only after every batch was consumed and published.
   */
  readonly watermark: Watermark;
  readonly horizon: HorizonReport;
  /**
   * Upserted rows (in id order, as values in PostgreSQL's text output or as the COPY text
   * lines, see `rowsAs`), then the keys deleted
   * since `since` (none on a full read). Iterate once; the transaction commits at the end.
   * Leaving the loop early ends the read (and, for a pooled connection, closes it).
   */
  batches(): AsyncIterable<Batch>;
  /** Ends the transaction if still open. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Opens a read of the changes of one (client, kind): validates the input, starts the
 * transaction, checks the schema and the client, and fixes the snapshot and the next
 * watermark. Rows are read when `batches()` is iterated, through `COPY ... TO STDOUT`,
 * with memory bounded by the batch size.
 */
export function openChangeFeed(options: ChangeFeedOptions & { rowsAs?: 'values' }): Promise<ChangeFeed>;
export function openChangeFeed(options: ChangeFeedOptions): Promise<ChangeFeed<ChangeBatch>>;
export async function openChangeFeed(options: ChangeFeedOptions): Promise<ChangeFeed<ChangeBatch>> {
  const resolved = resolveChangeFeedOptions(options);
  const leased = await lease(resolved.source);
  try {
    const { client } = leased;
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // The snapshot types expect ISO dates (RowValues); set per transaction, not per session.
    await client.query(`SET LOCAL DateStyle = 'ISO, YMD'`);
    await assertSchemaCurrent(client);
    const { rows } = await client.query<{ xmin: string; xmax: string; running: number; known: boolean; database: string; encoding: string }>(
      `SELECT pg_snapshot_xmin(s)::text AS xmin, pg_snapshot_xmax(s)::text AS xmax,
              (SELECT count(*) FROM pg_snapshot_xip(s))::int AS running,
              EXISTS (SELECT 1 FROM clients WHERE id = $1) AS known,
              current_database() AS database,
              current_setting('client_encoding') AS encoding
         FROM pg_current_snapshot() s`,
      [resolved.clientId],
    );
    const snapshot = rows[0]!;
    // The COPY text is parsed as UTF-8. Pools from createSourcePool always use UTF8, but a
    // caller's own client may have run SET client_encoding: refuse rather than mis-decode.
    if (snapshot.encoding.toUpperCase() !== SOURCE_CLIENT_ENCODING) {
      throw new Error(
        `the source connection uses client_encoding ${snapshot.encoding}, database "${snapshot.database}": the change feed reads text as UTF-8. ` +
          `Hand it a pool from createSourcePool, or run SET client_encoding = '${SOURCE_CLIENT_ENCODING}' on the connection first`,
      );
    }
    if (!snapshot.known) {
      throw new Error(`clientId ${resolved.clientId} is not in the clients table of database "${snapshot.database}": seed it or insert it into clients first`);
    }
    if (resolved.since !== null && compareWatermarks(resolved.since, parseWatermark(snapshot.xmax)) > 0) {
      throw new Error(
        `since is ${resolved.since}, a watermark from the future: database "${snapshot.database}" has not yet assigned transaction ids past ${snapshot.xmax}. ` +
          'It came from another database or one restored from a backup: clear the saved watermark to force a full read.',
      );
    }
    const horizon = await readHorizon(client, snapshot.xmin, snapshot.xmax, snapshot.running);
    return new OpenFeed(resolved, leased, parseWatermark(snapshot.xmin), horizon);
  } catch (error) {
    await leased.client.query('ROLLBACK').catch(() => undefined);
    leased.release();
    throw error;
  }
}

type FeedState = 'open' | 'reading' | 'closed';

class OpenFeed implements ChangeFeed<ChangeBatch> {
  readonly target: Target;
  readonly since: Watermark | null;
  private state: FeedState = 'open';
  /** A COPY the consumer left mid-way; it must be drained before the connection is reused. */
  private unfinishedCopy: Readable | undefined;

  constructor(
    private readonly options: ResolvedChangeFeedOptions,
    private readonly leased: Lease,
    readonly watermark: Watermark,
    readonly horizon: HorizonReport,
  ) {
    this.target = { clientId: options.clientId, kind: options.kind };
    this.since = options.since;
  }

  async *batches(): AsyncGenerator<ChangeBatch> {
    if (this.state !== 'open') throw new Error(`batches() of ${this.target.kind} for client ${this.target.clientId} was already iterated or closed: open a new feed`);
    this.state = 'reading';
    const { clientId, kind, since, rowsAs } = this.options;
    let finished = false;
    try {
      const select = feedRowsQuery(clientId, kind, since);
      if (rowsAs === 'copy-text') {
        // The rows of each network read, as the COPY text they came in.
        for await (const copyText of this.copyChunks(select)) yield { rows: { copyText }, tombstones: [] };
      } else {
        for await (const rows of this.copyRows(select, KIND_SCHEMAS[kind].columns.length)) yield { rows, tombstones: [] };
      }
      if (since !== null) {
        for await (const keys of this.copyRows(feedTombstonesQuery(clientId, kind, since), 1)) {
          yield { rows: [], tombstones: keys.map((key) => key[0] as string) };
        }
      }
      finished = true;
    } finally {
      await this.end(finished);
    }
  }

  private async *copyRows(select: string, columnCount: number): AsyncGenerator<RowValues[]> {
    const { batchSize } = this.options;
    const parser = new CopyTextParser(columnCount);
    let pending: RowValues[] = [];
    for await (const chunk of this.copyChunks(select)) {
      parser.push(chunk, pending);
      while (pending.length >= batchSize) {
        const batch = pending.length === batchSize ? pending : pending.slice(0, batchSize);
        pending = pending.length === batchSize ? [] : pending.slice(batchSize);
        yield batch;
      }
    }
    parser.end();
    if (pending.length > 0) yield pending;
  }

  /** The output of `COPY (select) TO STDOUT`: whole rows, as the connection receives them (see CopyOutRows). */
  private async *copyChunks(select: string): AsyncGenerator<Buffer> {
    const stream = this.leased.client.query(new CopyOutRows(copyOut(select)));
    this.unfinishedCopy = stream;
    // destroyOnReturn: false, because destroying the stream would strand the connection
    // mid-COPY; end() drains it or closes the connection instead.
    const chunks = stream.iterator({ destroyOnReturn: false }) as AsyncIterableIterator<Buffer>;
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (error) {
        // The server ended the COPY with an error; the connection is usable again.
        this.unfinishedCopy = undefined;
        throw error;
      }
      if (next.done) break;
      yield next.value;
    }
    this.unfinishedCopy = undefined;
  }

  close(): Promise<void> {
    return this.end(false);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async end(commit: boolean): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const copy = this.unfinishedCopy;
    this.unfinishedCopy = undefined;
    if (copy && !copy.readableEnded && !copy.destroyed) {
      if (this.leased.owned) {
        // A pooled connection of our own: closing it ends the COPY and the transaction.
        this.leased.release(true);
        return;
      }
      // The caller's connection: read the rest of the COPY so the connection stays usable.
      await drain(copy);
    }
    if (commit) {
      try {
        // PostgreSQL answers COMMIT of a transaction an error aborted with ROLLBACK, not an error:
        // a read that failed must not pass for a complete one.
        const ended = await this.leased.client.query('COMMIT');
        if (ended.command === 'ROLLBACK') throw new Error(`the read of ${this.target.kind} for client ${this.target.clientId} was rolled back by an error in its transaction: its rows are incomplete`);
      } finally {
        this.leased.release();
      }
      return;
    }
    // A ROLLBACK after a failure must not replace that failure: a connection that died
    // under the COPY refuses every query, and is closed instead of going back to the pool.
    await this.leased.client.query('ROLLBACK').then(
      () => this.leased.release(),
      () => this.leased.release(true),
    );
  }
}

function drain(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('error', () => resolve());
    stream.resume();
  });
}
