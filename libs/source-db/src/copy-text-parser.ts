import { StringDecoder } from 'node:string_decoder';
import type { RowValues } from '@storage-builder/data-model';

/**
 * Splits the output of `COPY ... TO STDOUT` (text format, tab delimiter, `\N` for NULL)
 * into rows of text values. Input arrives in chunks cut anywhere, even inside a UTF-8
 * character; a row is complete at its newline. A newline, tab or backslash inside a value
 * is escaped by the server, so a raw newline always ends a row.
 *
 * Values with no backslash (nearly all) are taken as slices of the chunk's string, with
 * no per-value work: that is why the feed reads COPY rather than row messages.
 */
export class CopyTextParser {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly columnCount: number) {}

  /** Rows completed by `chunk`, appended to `into`. */
  push(chunk: Buffer, into: RowValues[]): void {
    const text = this.pending + this.decoder.write(chunk);
    let start = 0;
    let end = text.indexOf('\n', start);
    while (end !== -1) {
      into.push(this.parseLine(text.slice(start, end)));
      start = end + 1;
      end = text.indexOf('\n', start);
    }
    this.pending = text.slice(start);
  }

  /** Call at the end of the stream: fails if it stopped inside a row. */
  end(): void {
    const rest = this.pending + this.decoder.end();
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

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Undoes COPY text escaping: `\n`, `\t` and the like, octal `\123`, hex `\x4F`; any other `\c` is `c`. */
export function unescapeCopyText(field: string): string {
  return field.replace(/\\([0-7]{1,3}|x[0-9a-fA-F]{1,2}|.)/gs, (_, escape: string) => {
    if (/^[0-7]/.test(escape)) return String.fromCharCode(parseInt(escape, 8) & 0xff);
    if (escape.length > 1 && escape[0] === 'x') return String.fromCharCode(parseInt(escape.slice(1), 16));
    return SIMPLE_ESCAPES[escape] ?? escape;
  });
}
