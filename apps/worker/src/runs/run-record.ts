import type { RunSummary, TargetResult } from '@storage-builder/updater';

export type RunKind = 'update-all' | 'update-client';
export type RunTrigger = 'api' | 'schedule' | 'cli';
/** `error`: the run could not start or stopped on an error of its own (the database was unreachable, say). */
export type RunStatus = 'running' | 'completed' | 'failed' | 'aborted' | 'error';

/** What `GET /runs/:id` shows. */
export interface RunRecord {
  readonly id: string;
  readonly kind: RunKind;
  readonly clientId: number | undefined;
  readonly trigger: RunTrigger;
  readonly reason: string | undefined;
  status: RunStatus;
  readonly startedAt: string;
  finishedAt: string | undefined;
  progress: { done: number; total: number };
  summary: RunSummary | undefined;
  error: string | undefined;
}

/** The status a finished run reports, from its summary. */
export function statusOf(summary: RunSummary): RunStatus {
  if (summary.failed > 0) return 'failed';
  if (summary.aborted > 0 || summary.skipped > 0) return 'aborted';
  return 'completed';
}

/** A run without its per-target results, for lists. */
export function runOverview(run: RunRecord) {
  const { summary, ...rest } = run;
  return {
    ...rest,
    totals: summary
      ? { targets: summary.targets, completed: summary.completed, failed: summary.failed, aborted: summary.aborted, skipped: summary.skipped, rows: summary.rows, bytes: summary.bytes, durationMs: summary.durationMs }
      : undefined,
  };
}

/** A run with its per-target results. */
export function runDetail(run: RunRecord) {
  return { ...runOverview(run), results: run.summary?.results.map(resultView) ?? [] };
}

function resultView(result: TargetResult) {
  const { target, ...rest } = result;
  return { clientId: target.clientId, kind: target.kind, ...rest };
}
