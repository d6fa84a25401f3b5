import { StringDecoder } from 'node:string_decoder';
import { unescapeCopyText, type RowValues } from '@storage-builder/data-model';

/**
 * Splits the output of `COPY ... TO STDOUT` (text format, tab delimiter, `\N` for NULL)
 * into rows of text values. Input arrives in chunks cut anywhere, even inside a UTF-8
 * character; a row is complete at its newline. A newline, tab or backslash inside a value
 * is escaped by the server, so a raw newline always ends a row.
 *
 * Values with no backslash (nearly all) are taken as slices of the chunk's string, with
 * no per-value work: that is why the feed reads COPY rather than row messages.
 *
 * Each character is searched for a newline once: the unfinished row is kept as the pieces
 * of the chunks it came in and joined only when its newline arrives, so a value of many
 * MiB costs time in proportion to its size (re-scanning the unfinished row on every chunk
 * made it quadratic). `scannedChars` counts the characters searched, for the gate.
 */
export class CopyTextParser {
  private readonly decoder = new StringDecoder('utf8');
  /** The unfinished row: pieces of decoded chunks, none of which holds a newline. */
  private pending: string[] = [];
  /** Characters searched for a newline so far: one per character of input when parsing is linear. */
  scannedChars = 0;

  /** The next newline in `text` at or after `from` (-1: none), counting what the search reads. */
  private newline(text: string, from: number): number {
    const at = text.indexOf('\n', from);
    this.scannedChars += (at === -1 ? text.length : at + 1) - from;
    return at;
  }

  constructor(private readonly columnCount: number) {}

  /** Rows completed by `chunk`, appended to `into`. */
  push(chunk: Buffer, into: RowValues[]): void {
    const text = this.decoder.write(chunk);
    let end = this.newline(text, 0);
    if (end === -1) {
      if (text.length > 0) this.pending.push(text);
      return;
    }
    let start = 0;
    if (this.pending.length > 0) {
      this.pending.push(text.slice(0, end));
      into.push(this.parseLine(this.pending.join('')));
      this.pending = [];
      start = end + 1;
      end = this.newline(text, start);
    }
    while (end !== -1) {
      into.push(this.parseLine(text.slice(start, end)));
      start = end + 1;
      end = this.newline(text, start);
    }
    if (start < text.length) this.pending.push(text.slice(start));
  }

  /** Call at the end of the stream: fails if it stopped inside a row. */
  end(): void {
    const rest = this.pending.join('') + this.decoder.end();
    if (rest.length > 0) throw new Error(`COPY output ended inside a row: ${JSON.stringify(rest.slice(0, 80))}`);
  }

  private parseLine(line: string): RowValues {
    const fields: (string | null)[] = line.split('\t');
    if (fields.length !== this.columnCount) {
      throw new Error(`COPY row has ${fields.length} fields, expected ${this.columnCount}: ${JSON.stringify(line.slice(0, 80))}`);
    }
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as string;
      if (field.includes('\\')) fields[i] = field === '\\N' ? null : unescapeCopyText(field);
    }
    return fields;
  }
}
