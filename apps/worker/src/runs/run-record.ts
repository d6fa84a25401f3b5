import type { RunSummary, TargetResult, VerifyResult, VerifySummary } from '@storage-builder/updater';

/** `verify` checks what the manifests name and rebuilds damaged targets (see `StorageUpdater.verify`). */
export type RunKind = 'update-all' | 'update-client' | 'verify';
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
  /** A `VerifySummary` for a `verify` run. */
  summary: RunSummary | VerifySummary | undefined;
  error: string | undefined;
}

export function isVerifySummary(summary: RunSummary | VerifySummary): summary is VerifySummary {
  return 'healed' in summary;
}

/** The status a finished run reports, from its summary: a verify fails on a target it left broken. */
export function statusOf(summary: RunSummary | VerifySummary): RunStatus {
  if (isVerifySummary(summary)) return summary.broken > 0 ? 'failed' : summary.held > 0 ? 'aborted' : 'completed';
  if (summary.failed > 0) return 'failed';
  if (summary.aborted > 0 || summary.skipped > 0) return 'aborted';
  return 'completed';
}

/** A run without its per-target results, for lists. */
export function runOverview(run: RunRecord) {
  const { summary, ...rest } = run;
  if (!summary) return { ...rest, totals: undefined };
  if (isVerifySummary(summary)) {
    const { results: _results, runId: _runId, startedAt: _startedAt, ...totals } = summary;
    return { ...rest, totals };
  }
  return {
    ...rest,
    totals: { targets: summary.targets, completed: summary.completed, failed: summary.failed, aborted: summary.aborted, skipped: summary.skipped, rows: summary.rows, bytes: summary.bytes, durationMs: summary.durationMs },
  };
}

/** A run with its per-target results. */
export function runDetail(run: RunRecord) {
  const results: ReadonlyArray<TargetResult | VerifyResult> = run.summary?.results ?? [];
  return { ...runOverview(run), results: results.map(resultView) };
}

function resultView(result: TargetResult | VerifyResult) {
  const { target, ...rest } = result;
  return { clientId: target.clientId, kind: target.kind, ...rest };
}
