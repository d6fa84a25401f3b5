import type { ChangeBatch, RowValues } from './rows';

/**
 * Rows as PostgreSQL prints them with `COPY ... TO STDOUT` (text format): whole lines, each
 * ending in a newline, values separated by tabs, `\N` for NULL, and a newline, tab or
 * backslash inside a value escaped. The change feed can hand rows over in this form so the
 * snapshot encoder turns the bytes into frame payloads without a string per value.
 */
export interface CopyTextRows {
  readonly copyText: Buffer;
}

export function isCopyText(rows: ChangeBatch['rows']): rows is CopyTextRows {
  return !Array.isArray(rows);
}

/** How many rows a batch holds, in either form (a COPY text row is one line). */
export function rowCount(rows: ChangeBatch['rows']): number {
  if (!isCopyText(rows)) return (rows as readonly RowValues[]).length;
  const text = rows.copyText;
  let count = 0;
  for (let at = text.indexOf(NEWLINE); at !== -1; at = text.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

const NEWLINE = 0x0a;

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Undoes COPY text escaping: `\n`, `\t` and the like, octal `\123`, hex `\x4F`; any other `\c` is `c`. */
export function unescapeCopyText(field: string): string {
  return field.replace(/\\([0-7]{1,3}|x[0-9a-fA-F]{1,2}|.)/gs, (_, escape: string) => {
    if (/^[0-7]/.test(escape)) return String.fromCharCode(parseInt(escape, 8) & 0xff);
    if (escape.length > 1 && escape[0] === 'x') return String.fromCharCode(parseInt(escape.slice(1), 16));
    return SIMPLE_ESCAPES[escape] ?? escape;
  });
}
