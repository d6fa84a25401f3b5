import type { JobFigures } from '../harness/job-figures';

/** What a reproduce scenario's measured UpdateAll did, as the reports read it (run-scenario.ts). */
export interface ChildResult extends JobFigures {
  readonly runWallSeconds: number;
  readonly runCpuSeconds: number;
  readonly failed: readonly string[];
  /** Rows and duration of each completed target, for fitting per-row and per-target costs. */
  readonly perTarget: ReadonlyArray<{ readonly rows: number; readonly durationMs: number }>;
}
