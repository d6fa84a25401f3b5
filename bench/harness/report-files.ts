// Where a reproduce command's report goes: its files, then a word on the terminal.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { claimsTable, type ClaimCheck } from './claim-check';

/** report.json: the whole report, for machines. */
export const reportJson = (report: unknown) => `${JSON.stringify(report, null, 2)}\n`;

/** Writes each `[name, text]` into `dir`, created if missing; returns the files' paths. */
export function writeReportFiles(dir: string, files: ReadonlyArray<readonly [name: string, text: string]>): string[] {
  mkdirSync(dir, { recursive: true });
  return files.map(([name, text]) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  });
}

/** The end of a reproduce command: the claims table on stdout, then where the reports are and how long the command took. */
export function announceReports(claims: readonly ClaimCheck[], files: readonly string[], startedAtMs: number, log: (message: string) => void): void {
  process.stdout.write(`\n${claimsTable(claims)}\n\n`);
  log(`Reports: ${files.join(', ')}`);
  log(`Done in ${((Date.now() - startedAtMs) / 1000).toFixed(0)} s`);
}
