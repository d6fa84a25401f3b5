import { targetId } from '@storage-builder/data-model';
import type { ProgressEvent, VerifySummary } from '@storage-builder/updater';

export interface ProgressOutput {
  readonly isTTY: boolean;
  write(text: string): void;
}

/**
 * Follows a run: on a terminal one carriage-return line (bar, done/total, rows, elapsed);
 * elsewhere one plain line per finished target, so logs stay readable.
 */
export function progressReporter(output: ProgressOutput, now: () => number = Date.now): (event: ProgressEvent) => void {
  let startedAt = now();
  let rows = 0;
  const elapsed = () => `${((now() - startedAt) / 1000).toFixed(1)}s`;
  return (event) => {
    if (event.type === 'run-started') {
      startedAt = now();
      rows = 0;
      if (!output.isTTY) output.write(`run ${event.runId}: ${event.targets} targets\n`);
      return;
    }
    if (event.type === 'target-finished') {
      if (event.result.state === 'completed') rows += event.result.rows;
      if (output.isTTY) {
        const width = 24;
        const filled = event.total === 0 ? width : Math.round((event.done / event.total) * width);
        output.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${event.done}/${event.total} targets  ${rows} rows  ${elapsed()}`);
      } else {
        const { target, state } = event.result;
        const detail = event.result.state === 'completed' ? ` ${event.result.mode} ${event.result.rows} rows` : event.result.state === 'failed' ? `: ${event.result.error}` : event.result.state === 'skipped' ? `: ${event.result.reason}` : '';
        output.write(`${event.done}/${event.total} ${targetId(target)} ${state}${detail}\n`);
      }
      return;
    }
    if (event.type === 'run-finished') {
      const s = event.summary;
      if (output.isTTY) {
        // The bar hides them: say which targets another writer held, and which failed.
        for (const r of s.results) {
          if (r.state === 'skipped' && r.reason.startsWith('held by')) output.write(`\n${targetId(r.target)} skipped: ${r.reason}`);
          if (r.state === 'failed') output.write(`\n${targetId(r.target)} failed: ${r.error}`);
        }
      }
      output.write(`${output.isTTY ? '\n' : ''}done in ${elapsed()}: ${s.completed.full} full, ${s.completed.incremental} incremental, ${s.failed} failed, ${s.aborted} aborted, ${s.skipped} skipped, ${s.rows} rows\n`);
    }
  };
}

/** One line per target that is not simply fine, then the totals. */
export function verifyReport(summary: VerifySummary): string {
  const lines = summary.results.flatMap((r) => {
    switch (r.state) {
      case 'healed':
        return [`${targetId(r.target)} healed: ${r.problem}`];
      case 'broken':
        return [`${targetId(r.target)} broken: ${r.problem}${r.rebuild ? ` (rebuild ${r.rebuild.state}${r.rebuild.state === 'failed' ? `: ${r.rebuild.error}` : ''})` : ''}`];
      case 'held':
        return [`${targetId(r.target)} not checked: held by ${r.holder}`];
      default:
        return [];
    }
  });
  const totals = `verified ${summary.targets} targets in ${(summary.durationMs / 1000).toFixed(1)}s: ${summary.ok} ok, ${summary.healed} healed, ${summary.broken} broken, ${summary.held} held by another writer, ${summary.absent} without a snapshot yet`;
  return [...lines, totals].map((line) => `${line}\n`).join('');
}
