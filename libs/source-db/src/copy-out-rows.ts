import { Readable } from 'node:stream';
import type pg from 'pg';

/** Message types of the PostgreSQL wire protocol that a COPY out stream sees. */
const ERROR_RESPONSE = 0x45; // E
const COPY_OUT_RESPONSE = 0x48; // H
const COPY_DATA = 0x64; // d
const COPY_DONE = 0x63; // c
const NOTICE_RESPONSE = 0x4e; // N
const PARAMETER_STATUS = 0x53; // S
const NOTIFICATION_RESPONSE = 0x41; // A
/** A message starts with its type (1 byte) and its length (4 bytes, counting themselves). */
const MESSAGE_HEADER_BYTES = 5;

/** What pg's Connection looks like to a query that reads the socket itself. */
interface PgConnection {
  readonly stream: NodeJS.ReadableStream & Readable;
  query(text: string): void;
}

type ParseState = 'header' | 'row' | 'skip';

/**
 * `COPY ... TO STDOUT` (text format) as a stream of whole rows: each chunk it yields is the
 * rows complete in one network read, back to back, each ending in its newline. PostgreSQL
 * sends every row of a COPY out as one CopyData message, so rows are cut out of the
 * messages by their lengths and moved together within the network read's buffer; no row
 * is searched for its end and nothing is allocated per row or per read. A row longer than
 * a read is gathered into a buffer of its announced length.
 *
 * Pass it to `client.query(...)`: like pg-copy-streams' `to()`, it takes the connection's
 * socket for the length of the COPY and hands back what follows (CommandComplete,
 * ReadyForQuery, or an ErrorResponse, which pg turns into this stream's 'error').
 */
export class CopyOutRows extends Readable implements pg.Submittable {
  private connection: PgConnection | undefined;
  private pgDataHandler: ((chunk: Buffer) => void) | undefined;
  private readonly onData = (chunk: Buffer) => this.parse(chunk);
  /** Set once the socket went back to pg. */
  private detached = false;
  private state: ParseState = 'header';
  private readonly header = Buffer.alloc(MESSAGE_HEADER_BYTES);
  private headerFill = 0;
  /** Bytes of the current message's body not read yet. */
  private remaining = 0;
  /** A row that spans reads, filled as they come. */
  private row: Buffer | undefined;
  private rowFill = 0;

  constructor(private readonly text: string) {
    super();
  }

  submit(connection: pg.Connection): Error | undefined {
    const pgConnection = connection as unknown as PgConnection;
    this.connection = pgConnection;
    const socket = pgConnection.stream;
    const listeners = socket.listeners('data') as ((chunk: Buffer) => void)[];
    // Returned, not thrown: pg hands a submit's error to handleError and goes on with its queue.
    if (listeners.length !== 1) return new Error(`the connection's socket has ${listeners.length} data listeners, expected pg's one`);
    this.pgDataHandler = listeners[0];
    // The socket's reads come here one by one (no concatenation of what queued up); the
    // socket pauses while this stream's reader is behind.
    socket.removeListener('data', this.pgDataHandler!);
    socket.on('data', this.onData);
    pgConnection.query(this.text);
    return undefined;
  }

  override _read(): void {
    if (!this.detached) this.connection?.stream.resume();
  }

  /**
   * Destroyed before the COPY ended (its reader left): the rest of the COPY is read and
   * dropped, so the connection comes back to pg in step and stays usable.
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.detached) this.connection?.stream.resume();
    callback(error);
  }

  /** pg calls these with the messages that follow the COPY. */
  handleError(error: Error): void {
    this.destroy(error);
  }
  handleCommandComplete(): void {}
  handleReadyForQuery(): void {}

  /** Hands rows on; pauses the socket when the reader has enough. */
  private pushRows(rows: Buffer): void {
    if (this.destroyed) return;
    if (!this.push(rows)) this.connection?.stream.pause();
  }

  private parse(chunk: Buffer): void {
    // Rows are moved to the front of the read's own buffer, over the message headers before
    // them: nothing is allocated per read, and what follows the last row is left as it was.
    const rows = chunk;
    let filled = 0;
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'row') {
        const take = Math.min(this.remaining, chunk.length - at);
        chunk.copy(this.row!, this.rowFill, at, at + take);
        this.rowFill += take;
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) {
          this.pushRows(this.row!);
          this.row = undefined;
          this.state = 'header';
        }
        continue;
      }
      if (this.state === 'skip') {
        const take = Math.min(this.remaining, chunk.length - at);
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.state = 'header';
        continue;
      }
      // A message header, perhaps cut by the end of a read.
      let type: number;
      let length: number;
      let headerWasCut = false;
      if (this.headerFill === 0 && chunk.length - at >= MESSAGE_HEADER_BYTES) {
        type = chunk[at] as number;
        length = chunk.readUInt32BE(at + 1) - 4;
        at += MESSAGE_HEADER_BYTES;
      } else {
        headerWasCut = true;
        const take = Math.min(MESSAGE_HEADER_BYTES - this.headerFill, chunk.length - at);
        chunk.copy(this.header, this.headerFill, at, at + take);
        this.headerFill += take;
        at += take;
        if (this.headerFill < MESSAGE_HEADER_BYTES) break;
        this.headerFill = 0;
        type = this.header[0] as number;
        length = this.header.readUInt32BE(1) - 4;
      }
      if (type === COPY_DATA) {
        if (chunk.length - at >= length) {
          if (filled !== at) chunk.copyWithin(filled, at, at + length);
          filled += length;
          at += length;
        } else {
          if (filled > 0) this.pushRows(rows.subarray(0, filled));
          filled = 0;
          this.row = Buffer.allocUnsafe(length);
          this.rowFill = 0;
          this.remaining = length;
          this.state = 'row';
        }
        continue;
      }
      if (type === COPY_OUT_RESPONSE || type === NOTICE_RESPONSE || type === PARAMETER_STATUS || type === NOTIFICATION_RESPONSE) {
        this.remaining = length;
        this.state = length > 0 ? 'skip' : 'header';
        continue;
      }
      // CopyDone (no body), an ErrorResponse or any other message ends copy-out mode
      // (protocol-flow.html#PROTOCOL-COPY). pg reads what follows, any message but CopyDone
      // with its header: it reports an error through handleError.
      const lastRows = filled > 0 ? rows.subarray(0, filled) : undefined;
      if (type === COPY_DONE) {
        this.finish(lastRows, chunk.subarray(at), 'ended');
      } else {
        const rest = headerWasCut ? Buffer.concat([this.header, chunk.subarray(at)]) : chunk.subarray(at - MESSAGE_HEADER_BYTES);
        this.finish(lastRows, rest, type === ERROR_RESPONSE ? 'failed' : `the server sent message type ${JSON.stringify(String.fromCharCode(type))} inside a COPY`);
      }
      return;
    }
    if (filled > 0) this.pushRows(rows.subarray(0, filled));
  }

  /**
   * Gives the socket back to pg with the bytes that follow the COPY. The stream ends only on
   * CopyDone: after an ErrorResponse it ends with the error pg reports (which may come with a
   * later read), so a failed COPY can never look complete.
   */
  private finish(lastRows: Buffer | undefined, rest: Buffer, how: 'ended' | 'failed' | string): void {
    if (lastRows) this.pushRows(lastRows);
    const socket = this.connection!.stream;
    this.detached = true;
    socket.removeListener('data', this.onData);
    socket.on('data', this.pgDataHandler!);
    if (how === 'ended') this.push(null);
    else if (how !== 'failed') this.destroy(new Error(how));
    if (rest.length > 0) this.pgDataHandler!(rest);
    // pg reads the rest of the session: the socket flows again whatever this stream's reader does.
    socket.resume();
  }
}
