// Reads the worker's control API answers (POST /update-all, GET /runs/:id) into what the
// harness needs. The field names come from the worker app's own types, so a renamed field
// fails the type check; the values are checked instead of trusted, so a changed answer fails
// here, by name.
import type { runDetail, RunRecord, RunStatus } from '@storage-builder/worker';
import type { JobFigures } from './job-figures';

/** What GET /runs/:id sends. */
type RunDetail = ReturnType<typeof runDetail>;
type ResultView = RunDetail['results'][number];
type CompletedView = Extract<ResultView, { state: 'completed' }>;
type FailedView = Extract<ResultView, { state: 'failed' }>;

/** What POST /update-all sends (control-server.ts `startRun`). */
interface StartedRunAnswer {
  readonly runId: RunRecord['id'];
  readonly status: RunStatus;
  readonly alreadyRunning: boolean;
  readonly statusUrl: string;
}

/** An answer's fields by the worker's names, their values not yet checked. */
type Unchecked<T> = { readonly [K in keyof T]?: unknown };

/** What a finished run's status says about the job. */
export interface FinishedRun extends JobFigures {
  readonly state: 'finished';
  /** The worker's run status: only `completed` means every target committed. */
  readonly status: Exclude<RunStatus, 'running'>;
  /** The UpdateAll's own duration, without the worker's start-up. */
  readonly durationSeconds: number;
  /** `client-<id>/<kind>: <error>` per failed target, or the run's own error. */
  readonly failures: readonly string[];
}

export type WorkerRunState = { readonly state: 'running'; readonly done: number; readonly total: number } | FinishedRun;

const CHANGED = "the worker's control API changed; update bench/harness/worker-run-status.ts";

function object<T>(value: unknown, what: string): Unchecked<T> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Unchecked<T>;
  throw new Error(`${what} is ${JSON.stringify(value)}, not an object: ${CHANGED}`);
}

function number(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new Error(`${what} is ${JSON.stringify(value)}, not a number: ${CHANGED}`);
}

function string(value: unknown, what: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw new Error(`${what} is ${JSON.stringify(value)}, not a string: ${CHANGED}`);
}

const FINISHED: ReadonlyArray<FinishedRun['status']> = ['completed', 'failed', 'aborted', 'error'];

/** The run id from POST /update-all; a run already in progress is a surprise in a fresh worker. */
export function parseStartedRun(body: unknown): string {
  const answer = object<StartedRunAnswer>(body, 'POST /update-all answer');
  if (answer.alreadyRunning === true) throw new Error(`the worker was already running ${String(answer.runId)}: a fresh container should have no run; is SCHEDULE_INTERVAL_SECONDS set?`);
  return string(answer.runId, 'POST /update-all runId');
}

/** GET /runs/:id → running with progress, or finished with the job's figures. */
export function parseRunStatus(body: unknown): WorkerRunState {
  const run = object<RunDetail>(body, 'GET /runs/:id answer');
  const status = string(run.status, 'GET /runs/:id status');
  if (status === 'running') {
    const progress = object<RunDetail['progress']>(run.progress, 'GET /runs/:id progress');
    return { state: 'running', done: number(progress.done, 'progress.done'), total: number(progress.total, 'progress.total') };
  }
  if (!(FINISHED as readonly string[]).includes(status)) throw new Error(`GET /runs/:id status is ${JSON.stringify(status)}: expected running or one of ${FINISHED.join(', ')}`);

  const results = Array.isArray(run.results) ? run.results.map((r, i) => object<ResultView>(r, `results[${i}]`)) : [];
  const completed = results.filter((r) => r.state === 'completed') as Array<Unchecked<CompletedView>>;
  const sum = (field: keyof JobFigures & keyof CompletedView) => completed.reduce((total, r, i) => total + number(r[field], `completed result ${i} ${field}`), 0);
  const failures = (results.filter((r) => r.state === 'failed') as Array<Unchecked<FailedView>>).map((r) => `client-${String(r.clientId)}/${String(r.kind)}: ${String(r.error)}`);
  if (typeof run.error === 'string' && run.error !== '') failures.push(run.error);

  const totals = run.totals === undefined || run.totals === null ? undefined : object<NonNullable<RunDetail['totals']>>(run.totals, 'GET /runs/:id totals');
  const durationMs =
    totals !== undefined
      ? number(totals.durationMs, 'totals.durationMs')
      : Date.parse(string(run.finishedAt, 'GET /runs/:id finishedAt')) - Date.parse(string(run.startedAt, 'GET /runs/:id startedAt'));
  return {
    state: 'finished',
    status: status as FinishedRun['status'],
    durationSeconds: durationMs / 1000,
    targets: totals ? number(totals.targets, 'totals.targets') : results.length,
    completedTargets: completed.length,
    rows: sum('rows'),
    tombstones: sum('tombstones'),
    bytes: sum('bytes'),
    serializeCalls: sum('serializeCalls'),
    failures,
  };
}
