import { describe, expect, it } from 'vitest';
import type { Watermark } from '@storage-builder/data-model';
import { summarize, type TargetResult } from '@storage-builder/updater';
import { runDetail, type RunRecord } from '@storage-builder/worker';
import { parseRunStatus, parseStartedRun } from './worker-run-status';

const completed = (clientId: number, rows: number, tombstones: number, serializeCalls: number): TargetResult => ({
  state: 'completed',
  target: { clientId, kind: 'raw-data' },
  mode: 'full',
  reason: 'no snapshot yet',
  rows,
  tombstones,
  bytes: rows * 10,
  serializeCalls,
  objectKey: `k/${clientId}`,
  watermark: '100' as Watermark,
  attempts: 1,
  durationMs: 5,
  cpuMs: 4,
});

function record(status: RunRecord['status'], results: TargetResult[] | undefined, error?: string): RunRecord {
  return {
    id: 'run-1',
    kind: 'update-all',
    clientId: undefined,
    trigger: 'api',
    reason: undefined,
    status,
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: status === 'running' ? undefined : '2025-01-01T00:00:07.500Z',
    progress: { done: 1, total: 10 },
    summary: results ? summarize('run-1', new Date('2025-01-01T00:00:00.000Z'), 7_250, 6_000, results) : undefined,
    error,
  };
}

/** What GET /runs/:id sends, through JSON as over the wire. */
const wire = (run: RunRecord): unknown => JSON.parse(JSON.stringify(runDetail(run)));

describe('parseRunStatus', () => {
  it('reports progress while the run is in progress', () => {
    expect(parseRunStatus(wire(record('running', undefined)))).toEqual({ state: 'running', done: 1, total: 10 });
  });

  it('sums the completed targets of a finished run and takes its own duration', () => {
    const results = [completed(1, 100, 2, 103), completed(2, 50, 0, 51)];
    expect(parseRunStatus(wire(record('completed', results)))).toEqual({
      state: 'finished',
      status: 'completed',
      durationSeconds: 7.25,
      targets: 2,
      completedTargets: 2,
      rows: 150,
      tombstones: 2,
      bytes: 1_500,
      serializeCalls: 154,
      failures: [],
    });
  });

  it('names each failed target and the run error', () => {
    const failed: TargetResult = { state: 'failed', target: { clientId: 3, kind: 'formulas' }, error: 'connection reset', attempts: 3, durationMs: 9 };
    const state = parseRunStatus(wire(record('failed', [completed(1, 10, 0, 11), failed])));
    expect(state).toMatchObject({ state: 'finished', status: 'failed', completedTargets: 1, failures: ['client-3/formulas: connection reset'] });
    // A run that stopped on its own error has no summary: the duration comes from its timestamps.
    expect(parseRunStatus(wire(record('error', undefined, 'database unreachable')))).toMatchObject({ status: 'error', durationSeconds: 7.5, targets: 0, failures: ['database unreachable'] });
  });

  it('fails by name on an answer of another shape', () => {
    expect(() => parseRunStatus({ status: 'paused' })).toThrow(/status is "paused"/);
    expect(() => parseRunStatus({ status: 'running' })).toThrow(/progress is undefined, not an object/);
  });
});

describe('parseStartedRun', () => {
  it('returns the new run id and refuses a run already in progress', () => {
    expect(parseStartedRun({ runId: 'r-9', status: 'running', alreadyRunning: false, statusUrl: '/runs/r-9' })).toBe('r-9');
    expect(() => parseStartedRun({ runId: 'r-1', alreadyRunning: true })).toThrow(/already running r-1/);
  });
});
