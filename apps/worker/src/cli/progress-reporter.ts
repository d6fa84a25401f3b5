import type { ProgressEvent } from '@storage-builder/updater';

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
        output.write(`${event.done}/${event.total} client-${target.clientId}/${target.kind} ${state}${event.result.state === 'completed' ? ` ${event.result.mode} ${event.result.rows} rows` : ''}${event.result.state === 'failed' ? `: ${event.result.error}` : ''}\n`);
      }
      return;
    }
    if (event.type === 'run-finished') {
      const s = event.summary;
      output.write(`${output.isTTY ? '\n' : ''}done in ${elapsed()}: ${s.completed.full} full, ${s.completed.incremental} incremental, ${s.failed} failed, ${s.aborted} aborted, ${s.skipped} skipped, ${s.rows} rows\n`);
    }
  };
}
