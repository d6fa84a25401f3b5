import { targetId } from '@storage-builder/data-model';
import type { RunSummary } from '@storage-builder/updater';

/** What the benchmark children report of an UpdateAll's summary. */
export interface SummaryFigures {
  targets: number;
  full: number;
  incremental: number;
  failed: number;
  /** The first failed target and its error, for the parent's message. */
  firstError: string | undefined;
  rows: number;
  tombstones: number;
  bytes: number;
}

export function summaryFigures(summary: RunSummary): SummaryFigures {
  const firstFailure = summary.results.find((r) => r.state === 'failed');
  return {
    targets: summary.targets,
    full: summary.completed.full,
    incremental: summary.completed.incremental,
    failed: summary.failed,
    firstError: firstFailure?.state === 'failed' ? `${targetId(firstFailure.target)}: ${firstFailure.error}` : undefined,
    rows: summary.rows,
    tombstones: summary.tombstones,
    bytes: summary.bytes,
  };
}
