import { randomUUID } from 'node:crypto';
import type { ProgressListener, RunSummary, Logger, VerifySummary } from '@storage-builder/updater';
import { errorMessage } from '@storage-builder/updater';
import { statusOf, type RunKind, type RunRecord, type RunTrigger } from './run-record';

/** Runs a plan: an update or a verify of all clients (`clientId` undefined) or of one client's targets. */
export type RunExecutor = (plan: { runId: string; kind: RunKind; clientId: number | undefined; onProgress: ProgressListener }) => Promise<RunSummary | VerifySummary>;

export interface RunControllerOptions {
  execute: RunExecutor;
  logger: Logger;
  /** Runs kept for `GET /runs`. @defaultValue {@link DEFAULT_RUN_HISTORY} */
  history?: number;
  /** @defaultValue `() => new Date()` */
  clock?: () => Date;
  /** Called when a run ends, with its final record. */
  onFinished?: (run: RunRecord) => void;
}

export const DEFAULT_RUN_HISTORY = 50;

export type StartOutcome =
  | { readonly started: true; readonly run: RunRecord }
  | { readonly started: false; readonly run: RunRecord; readonly reason: 'already-running' }
  | { readonly started: false; readonly run: undefined; readonly reason: 'stopping' };

/**
 * Single-flight runs: at most one run (UpdateAll or one client) at a time in this process,
 * since two runs would write the same targets. Starting while one runs returns the running
 * one; the choice is made synchronously, so concurrent requests cannot both start a run.
 */
export class RunController {
  private readonly runs: RunRecord[] = [];
  private current: { run: RunRecord; done: Promise<void> } | undefined;
  private stopping = false;
  private readonly history: number;
  private readonly clock: () => Date;

  constructor(private readonly options: RunControllerOptions) {
    this.history = options.history ?? DEFAULT_RUN_HISTORY;
    this.clock = options.clock ?? (() => new Date());
  }

  start(request: { kind: RunKind; clientId?: number; trigger: RunTrigger; reason?: string }): StartOutcome {
    if (this.current) return { started: false, run: this.current.run, reason: 'already-running' };
    if (this.stopping) return { started: false, run: undefined, reason: 'stopping' };
    const run: RunRecord = {
      id: randomUUID(),
      kind: request.kind,
      clientId: request.clientId,
      trigger: request.trigger,
      reason: request.reason,
      status: 'running',
      startedAt: this.clock().toISOString(),
      finishedAt: undefined,
      progress: { done: 0, total: 0 },
      summary: undefined,
      error: undefined,
    };
    this.runs.unshift(run);
    this.runs.splice(this.history);
    const onProgress: ProgressListener = (event) => {
      if (event.type === 'run-started') run.progress = { done: 0, total: event.targets };
      if (event.type === 'target-finished') run.progress = { done: event.done, total: event.total };
    };
    const done = this.options
      .execute({ runId: run.id, kind: request.kind, clientId: request.clientId, onProgress })
      .then(
        (summary) => {
          run.summary = summary;
          run.status = statusOf(summary);
          run.progress = { done: summary.targets - ('skipped' in summary ? summary.skipped : 0), total: summary.targets };
        },
        (error: unknown) => {
          run.status = 'error';
          run.error = errorMessage(error);
          this.options.logger.log('error', 'run could not complete', { runId: run.id, error: run.error });
        },
      )
      .finally(() => {
        run.finishedAt = this.clock().toISOString();
        this.current = undefined;
        this.options.onFinished?.(run);
      });
    this.current = { run, done };
    return { started: true, run };
  }

  get running(): RunRecord | undefined {
    return this.current?.run;
  }

  /** Resolves when the current run (if any) has ended. */
  async settled(): Promise<void> {
    await this.current?.done;
  }

  /** No run starts after this. */
  refuseNewRuns(): void {
    this.stopping = true;
  }

  list(): readonly RunRecord[] {
    return this.runs;
  }

  get(id: string): RunRecord | undefined {
    return this.runs.find((run) => run.id === id);
  }
}
