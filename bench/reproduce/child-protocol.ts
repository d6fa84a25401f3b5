// What the worker child and the harness say to each other over stdin and stdout.
import type { JobFigures } from '../harness/job-figures';

export interface ChildResult extends JobFigures {
  readonly runWallSeconds: number;
  readonly runCpuSeconds: number;
  readonly failed: readonly string[];
  /** Rows and duration of each completed target, for fitting per-row and per-target costs. */
  readonly perTarget: ReadonlyArray<{ readonly rows: number; readonly durationMs: number }>;
}

/** The lines of the start gate: the harness applies CPU limits once it reads READY. */
export const READY_LINE = 'READY';
export const GO_LINE = 'GO';

export const RESULT_MARKER = 'RESULT ';
