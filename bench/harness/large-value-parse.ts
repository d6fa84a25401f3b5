// COPY text with values of many MiB, fed to the feed's parser in the chunk size a socket
// delivers: the micro benchmarks time it (one 64 MiB value against eight of 8 MiB) and the
// gate counts the characters the parser searched per character of input.
import type { RowValues } from '@storage-builder/data-model';
import { CopyTextParser } from '@storage-builder/source-db';

/** What node-postgres hands the COPY stream at a time, about. */
export const SOCKET_CHUNK_BYTES = 64 * 1024;

/** Rows `id \t <valueBytes of text>`, as COPY writes them. */
export function largeValueCopyText(valueBytes: number, rows: number): Buffer {
  const value = 'v'.repeat(valueBytes);
  return Buffer.from(Array.from({ length: rows }, (_, i) => `${i + 1}\t${value}\n`).join(''));
}

/** Parses `copyText` in socket-sized chunks; the rows and the characters searched per character of input. */
export function parseInChunks(copyText: Buffer): { rows: number; scannedPerChar: number } {
  const parser = new CopyTextParser(2);
  const rows: RowValues[] = [];
  for (let at = 0; at < copyText.length; at += SOCKET_CHUNK_BYTES) parser.push(copyText.subarray(at, at + SOCKET_CHUNK_BYTES), rows);
  parser.end();
  return { rows: rows.length, scannedPerChar: parser.scannedChars / copyText.length };
}
