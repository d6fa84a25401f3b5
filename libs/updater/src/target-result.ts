import type { Target, Watermark } from '@storage-builder/data-model';

/** Why a target was read in full or from a watermark, for logs and results. */
export type SyncMode = 'full' | 'incremental';

/** The outcome of one target in a run. */
export type TargetResult =
  | {
      readonly state: 'completed';
      readonly target: Target;
      readonly mode: SyncMode;
      /** Why this mode: e.g. "no snapshot yet", "tracker ahead of manifest", "since manifest watermark 1234". */
      readonly reason: string;
      readonly rows: number;
      readonly tombstones: number;
      readonly bytes: number;
      /** Calls into the serializer's per-item or per-batch step (legacy: one per record plus a terminator). */
      readonly serializeCalls: number;
      /** The data object written; undefined when an incremental read found nothing to publish. */
      readonly objectKey: string | undefined;
      readonly watermark: Watermark;
      /** Set when the version could not be saved to the tracker: the manifest holds it, and the next run reads the manifest. */
      readonly trackerError?: string;
      readonly attempts: number;
      readonly durationMs: number;
      /** CPU of the whole process while this target ran: exact at parallelism 1, shared above it. */
      readonly cpuMs: number;
      /**
       * Set in a distributed run when the queue deduplicated this target into the job of
       * another run: that run's id and when the attempt that produced this result started,
       * which was after this run asked (an attempt started earlier is not reported: the
       * target is run again). Absent when this run's own job produced the result.
       */
      readonly joined?: { readonly runId: string; readonly startedAt: string };
    }
  | { readonly state: 'failed'; readonly target: Target; readonly error: string; readonly attempts: number; readonly durationMs: number }
  | { readonly state: 'aborted'; readonly target: Target; readonly durationMs: number }
  | { readonly state: 'skipped'; readonly target: Target; readonly reason: string };

export interface RunSummary {
  readonly runId: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly cpuMs: number;
  readonly targets: number;
  readonly completed: { readonly full: number; readonly incremental: number };
  readonly failed: number;
  readonly aborted: number;
  readonly skipped: number;
  readonly rows: number;
  readonly tombstones: number;
  readonly bytes: number;
  readonly results: readonly TargetResult[];
}

export function summarize(runId: string, startedAt: Date, durationMs: number, cpuMs: number, results: readonly TargetResult[]): RunSummary {
  const completed = results.filter((r) => r.state === 'completed');
  return {
    runId,
    startedAt: startedAt.toISOString(),
    durationMs,
    cpuMs,
    targets: results.length,
    completed: { full: completed.filter((r) => r.mode === 'full').length, incremental: completed.filter((r) => r.mode === 'incremental').length },
    failed: results.filter((r) => r.state === 'failed').length,
    aborted: results.filter((r) => r.state === 'aborted').length,
    skipped: results.filter((r) => r.state === 'skipped').length,
    rows: completed.reduce((sum, r) => sum + r.rows, 0),
    tombstones: completed.reduce((sum, r) => sum + r.tombstones, 0),
    bytes: completed.reduce((sum, r) => sum + r.bytes, 0),
    results,
  };
}

/** What `verify` found of one target, and what it did about it. */
export type VerifyResult =
  | { readonly state: 'ok'; readonly target: Target; readonly objects: number; readonly bytes: number }
  /** No manifest yet: the next run publishes a base. */
  | { readonly state: 'absent'; readonly target: Target }
  /** Another writer holds the target; verify it again later. */
  | { readonly state: 'held'; readonly target: Target; readonly holder: string }
  /** Damaged, and rebuilt from a full read: `result` is that rebuild. */
  | { readonly state: 'healed'; readonly target: Target; readonly problem: string; readonly result: TargetResult }
  /** Damaged, and not healed: asked not to, or `rebuild` says why it did not complete. */
  | { readonly state: 'broken'; readonly target: Target; readonly problem: string; readonly rebuild?: TargetResult };

export interface VerifySummary {
  readonly runId: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly targets: number;
  readonly ok: number;
  readonly absent: number;
  readonly held: number;
  readonly healed: number;
  readonly broken: number;
  readonly results: readonly VerifyResult[];
}

export function summarizeVerify(runId: string, startedAt: Date, durationMs: number, results: readonly VerifyResult[]): VerifySummary {
  const count = (state: VerifyResult['state']) => results.filter((r) => r.state === state).length;
  return {
    runId,
    startedAt: startedAt.toISOString(),
    durationMs,
    targets: results.length,
    ok: count('ok'),
    absent: count('absent'),
    held: count('held'),
    healed: count('healed'),
    broken: count('broken'),
    results,
  };
}
