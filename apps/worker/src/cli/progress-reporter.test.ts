import { describe, expect, it } from 'vitest';
import { summarize, type TargetResult } from '@storage-builder/updater';
import { progressReporter } from './progress-reporter';

const done: TargetResult = { state: 'completed', target: { clientId: 1, kind: 'entities' }, mode: 'full', reason: 'no snapshot yet', rows: 10, tombstones: 0, bytes: 100, serializeCalls: 1, objectKey: 'k', watermark: '5' as never, attempts: 1, durationMs: 1, cpuMs: 1 };
const failed: TargetResult = { state: 'failed', target: { clientId: 1, kind: 'formulas' }, error: 'boom', attempts: 3, durationMs: 1 };

function feed(isTTY: boolean): string {
  let text = '';
  let clock = 0;
  const report = progressReporter({ isTTY, write: (t) => (text += t) }, () => (clock += 500));
  report({ type: 'run-started', runId: 'r1', targets: 2 });
  report({ type: 'target-finished', runId: 'r1', result: done, done: 1, total: 2 });
  report({ type: 'target-finished', runId: 'r1', result: failed, done: 2, total: 2 });
  report({ type: 'run-finished', summary: summarize('r1', new Date(0), 1000, 1, [done, failed]) });
  return text;
}

describe('progressReporter', () => {
  it('draws one carriage-return line on a terminal, then names the targets that failed', () => {
    expect(feed(true)).toBe(
      '\r[############............] 1/2 targets  10 rows  0.5s\r[########################] 2/2 targets  10 rows  1.0s\nclient-1/formulas failed: boom\ndone in 1.5s: 1 full, 0 incremental, 1 failed, 0 aborted, 0 skipped, 10 rows\n',
    );
  });

  it('writes plain lines elsewhere', () => {
    expect(feed(false)).toBe(
      'run r1: 2 targets\n1/2 client-1/entities completed full 10 rows\n2/2 client-1/formulas failed: boom\ndone in 0.5s: 1 full, 0 incremental, 1 failed, 0 aborted, 0 skipped, 10 rows\n',
    );
  });
});
