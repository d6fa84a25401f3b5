/**
 * What one UpdateAll did, in the shape both reproduce flows read it: from the worker child's
 * result line (`npm run reproduce`) and from the worker's run status (`npm run reproduce:docker`).
 */
export interface JobFigures {
  readonly targets: number;
  readonly completedTargets: number;
  /** Rows and tombstones of the completed targets. */
  readonly rows: number;
  readonly tombstones: number;
  readonly bytes: number;
  readonly serializeCalls: number;
}
