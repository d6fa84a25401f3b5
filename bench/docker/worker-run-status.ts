// Reads the worker's control API answers (POST /update-all, GET /runs/:id) into what the
// flow needs, checking the shape instead of trusting it: a changed API fails here, by name.

/** What a finished run's status says about the job. */
export interface FinishedRun {
  readonly state: 'finished';
  /** The worker's run status: only `completed` means every target committed. */
  readonly status: 'completed' | 'failed' | 'aborted' | 'error';
  /** The UpdateAll's own duration, without the worker's start-up. */
  readonly durationSeconds: number;
  readonly targets: number;
  readonly completedTargets: number;
  readonly rows: number;
  readonly tombstones: number;
  readonly bytes: number;
  readonly serializeCalls: number;
  /** `client-<id>/<kind>: <error>` per failed target, or the run's own error. */
  readonly failures: readonly string[];
}

export type WorkerRunState = { readonly state: 'running'; readonly done: number; readonly total: number } | FinishedRun;

type Json = Record<string, unknown>;

function object(value: unknown, what: string): Json {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Json;
  throw new Error(`${what} is ${JSON.stringify(value)}, not an object: the worker's control API changed; update bench/docker/worker-run-status.ts`);
}

function number(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new Error(`${what} is ${JSON.stringify(value)}, not a number: the worker's control API changed; update bench/docker/worker-run-status.ts`);
}

function string(value: unknown, what: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw new Error(`${what} is ${JSON.stringify(value)}, not a string: the worker's control API changed; update bench/docker/worker-run-status.ts`);
}

const FINISHED = ['completed', 'failed', 'aborted', 'error'] as const;

/** The run id from POST /update-all; a run already in progress is a surprise in a fresh container. */
export function parseStartedRun(body: unknown): string {
  const answer = object(body, 'POST /update-all answer');
  if (answer['alreadyRunning'] === true) throw new Error(`the worker was already running ${String(answer['runId'])}: a fresh container should have no run; is SCHEDULE_INTERVAL_SECONDS set?`);
  return string(answer['runId'], 'POST /update-all runId');
}

/** GET /runs/:id → running with progress, or finished with the job's figures. */
export function parseRunStatus(body: unknown): WorkerRunState {
  const run = object(body, 'GET /runs/:id answer');
  const status = string(run['status'], 'GET /runs/:id status');
  if (status === 'running') {
    const progress = object(run['progress'], 'GET /runs/:id progress');
    return { state: 'running', done: number(progress['done'], 'progress.done'), total: number(progress['total'], 'progress.total') };
  }
  if (!(FINISHED as readonly string[]).includes(status)) throw new Error(`GET /runs/:id status is ${JSON.stringify(status)}: expected running or one of ${FINISHED.join(', ')}`);

  const results = Array.isArray(run['results']) ? run['results'].map((r, i) => object(r, `results[${i}]`)) : [];
  const completed = results.filter((r) => r['state'] === 'completed');
  const sum = (field: string) => completed.reduce((total, r, i) => total + number(r[field], `completed result ${i} ${field}`), 0);
  const failures = results
    .filter((r) => r['state'] === 'failed')
    .map((r) => `client-${String(r['clientId'])}/${String(r['kind'])}: ${String(r['error'])}`);
  if (typeof run['error'] === 'string' && run['error'] !== '') failures.push(run['error']);

  const totals = run['totals'] === undefined || run['totals'] === null ? undefined : object(run['totals'], 'GET /runs/:id totals');
  const durationMs =
    totals !== undefined
      ? number(totals['durationMs'], 'totals.durationMs')
      : Date.parse(string(run['finishedAt'], 'GET /runs/:id finishedAt')) - Date.parse(string(run['startedAt'], 'GET /runs/:id startedAt'));
  return {
    state: 'finished',
    status: status as FinishedRun['status'],
    durationSeconds: durationMs / 1000,
    targets: totals ? number(totals['targets'], 'totals.targets') : results.length,
    completedTargets: completed.length,
    rows: sum('rows'),
    tombstones: sum('tombstones'),
    bytes: sum('bytes'),
    serializeCalls: sum('serializeCalls'),
    failures,
  };
}
