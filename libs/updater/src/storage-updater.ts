import { randomUUID } from 'node:crypto';
import { DATA_KINDS, parseClientId, targetId, type Target } from '@storage-builder/data-model';
import { assertSchemaCurrent } from '@storage-builder/source-db';
import { runBounded } from './bounded-parallel';
import { errorMessage } from './logger';
import { emitProgress, type ProgressEvent, type ProgressListener } from './progress-events';
import { summarize, summarizeVerify, type RunSummary, type TargetResult, type VerifySummary } from './target-result';
import { TargetRunner } from './target-runner';
import { UnknownClientError } from './unknown-client-error';
import { resolveUpdaterOptions, type ResolvedUpdaterOptions, type UpdaterOptions } from './updater-options';

export interface RunOptions {
  /** Stops new targets from starting and aborts the ones in flight: they end committed or untouched. */
  signal?: AbortSignal;
  /**
   * Stops new targets from starting but lets the ones in flight finish, as a worker does
   * when told to stop with time left (SIGTERM before the task's stop timeout).
   */
  drain?: AbortSignal;
  /** @defaultValue a random UUID */
  runId?: string;
  /** Receives this run's events, besides the updater's own `onProgress`. */
  onProgress?: ProgressListener;
}

export interface VerifyRunOptions {
  /** Only this client's targets. @defaultValue every client */
  clientId?: unknown;
  /** Rebuild damaged targets from a full read. @defaultValue `true` */
  heal?: boolean;
  /** @defaultValue `'trailer'` (see `verifyTarget`) */
  depth?: 'trailer' | 'full';
  /** Stops new targets from starting. */
  signal?: AbortSignal;
  /** @defaultValue a random UUID */
  runId?: string;
}

/** Every target of the given clients: clients × the five kinds, client by client. */
export function targetsOf(clientIds: readonly number[]): Target[] {
  return clientIds.flatMap((clientId) => DATA_KINDS.map((kind) => ({ clientId, kind })));
}

/**
 * UpdateAll and per-client updates in this process. Each target is isolated: a failure is
 * recorded in its result and the others go on. Aborting stops new targets from starting;
 * targets in flight end committed or untouched.
 */
export class StorageUpdater {
  readonly options: ResolvedUpdaterOptions;
  private readonly runner: TargetRunner;
  private checked: Promise<void> | undefined;

  constructor(options: UpdaterOptions) {
    this.options = resolveUpdaterOptions(options);
    this.runner = new TargetRunner(this.options);
  }

  /**
   * Fails, naming the dependency, when the source cannot be used; warns when the tracker
   * cannot, since the manifests it caches still say where each target starts. Called before every run.
   */
  check(): Promise<void> {
    this.checked ??= (async () => {
      const client = await this.options.source.connect().catch((error: unknown) => {
        throw new Error(`the source database cannot be reached: ${errorMessage(error)}. Check DATABASE_URL.`);
      });
      try {
        await assertSchemaCurrent(client);
      } finally {
        client.release();
      }
      const { tracker } = this.options;
      await tracker?.check().catch((error: unknown) => {
        this.options.logger.log('warn', 'the version tracker cannot be reached; each target starts from its manifest', { tracker: tracker.kind, error: errorMessage(error) });
      });
    })().catch((error: unknown) => {
      this.checked = undefined;
      throw error;
    });
    return this.checked;
  }

  /** All clients in the source's `clients` table. */
  async clientIds(): Promise<number[]> {
    const { rows } = await this.options.source.query<{ id: number }>('SELECT id FROM clients ORDER BY id');
    return rows.map((row) => row.id);
  }

  async updateAll(options: RunOptions = {}): Promise<RunSummary> {
    await this.check();
    return this.runTargets(targetsOf(await this.clientIds()), options);
  }

  async update(clientId: unknown, options: RunOptions = {}): Promise<RunSummary> {
    const id = parseClientId(clientId);
    await this.check();
    await this.assertClientExists(id);
    return this.runTargets(targetsOf([id]), options);
  }

  /**
   * Checks what each target's manifest names (see `verifyTarget`), under the target's lease,
   * and with `heal` (the default) rebuilds each damaged target from a full read. Unchanged
   * targets are never read by a run, so this is what finds an object lost or damaged after
   * its commit.
   */
  async verify(options: VerifyRunOptions = {}): Promise<VerifySummary> {
    await this.check();
    const { logger, clock, parallelism } = this.options;
    let clientIds: number[];
    if (options.clientId === undefined) clientIds = await this.clientIds();
    else {
      const id = parseClientId(options.clientId);
      await this.assertClientExists(id);
      clientIds = [id];
    }
    await this.probeStore();
    const runId = options.runId ?? randomUUID();
    const targets = targetsOf(clientIds);
    const startedAt = clock();
    logger.log('info', 'verify started', { runId, targets: targets.length, heal: options.heal ?? true, depth: options.depth ?? 'trailer' });
    const started = await runBounded(
      targets,
      parallelism,
      (target) => this.runner.verify(target, { runId, signal: options.signal, heal: options.heal ?? true, depth: options.depth }),
      options.signal,
    );
    const results = started.map((s) => s.result);
    const summary = summarizeVerify(runId, startedAt, clock().getTime() - startedAt.getTime(), results);
    logger.log(summary.broken > 0 ? 'warn' : 'info', 'verify finished', { runId, ok: summary.ok, healed: summary.healed, broken: summary.broken, held: summary.held, absent: summary.absent, targets: targets.length });
    return summary;
  }

  /**
   * The store's one-off conditional-write probe (remembered by the store), before a run's
   * first target: its warning tells whoever runs it that the store cannot guard commits
   * itself, even on a run that commits nothing, and no target's timing pays for it.
   */
  private async probeStore(): Promise<void> {
    await this.options.store.conditionalWrites().catch((error: unknown) => {
      this.options.logger.log('warn', 'the snapshot bucket cannot be probed yet; each target tries again', { error: errorMessage(error) });
    });
  }

  /** Whether the source's clients table has this id; the API asks before it accepts a run. */
  async hasClient(id: number): Promise<boolean> {
    const { rowCount } = await this.options.source.query('SELECT 1 FROM clients WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  private async assertClientExists(id: number): Promise<void> {
    if (!(await this.hasClient(id))) throw new UnknownClientError(id);
  }

  /** One target, as a queue worker runs it. */
  runTarget(target: Target, options: RunOptions & { runId: string }): Promise<TargetResult> {
    return this.runner.run(target, { runId: options.runId, signal: options.signal });
  }

  async runTargets(targets: readonly Target[], options: RunOptions = {}): Promise<RunSummary> {
    await this.probeStore();
    const { logger, clock, parallelism } = this.options;
    const runId = options.runId ?? randomUUID();
    const emit = (event: ProgressEvent) => {
      emitProgress(this.options.onProgress, event, logger);
      emitProgress(options.onProgress, event, logger);
    };
    const startedAt = clock();
    const cpuAtStart = process.cpuUsage();
    logger.log('info', 'run started', { runId, targets: targets.length, parallelism, serializer: this.options.serializer, incremental: this.options.incremental });
    emit({ type: 'run-started', runId, targets: targets.length });

    const unchanged = await this.runner.unchangedTargets(targets, runId);
    let done = 0;
    const stopStarting = options.drain && options.signal ? AbortSignal.any([options.drain, options.signal]) : (options.drain ?? options.signal);
    const started = await runBounded(
      targets,
      parallelism,
      async (target) => {
        const committed = unchanged.get(targetId(target));
        const context = { runId, signal: options.signal, emit };
        const result = committed === undefined ? await this.runner.run(target, context) : await this.runner.unchanged(target, committed, context);
        emit({ type: 'target-finished', runId, result, done: ++done, total: targets.length });
        return result;
      },
      stopStarting,
    );
    const results = [...started.map((s) => s.result), ...targets.slice(started.length).map((target): TargetResult => ({ state: 'skipped', target, reason: 'the run was stopped before this target started' }))];

    const cpu = process.cpuUsage(cpuAtStart);
    const summary = summarize(runId, startedAt, clock().getTime() - startedAt.getTime(), (cpu.user + cpu.system) / 1000, results);
    logger.log(summary.failed > 0 ? 'warn' : 'info', 'run finished', {
      runId,
      durationMs: summary.durationMs,
      completed: summary.completed,
      failed: summary.failed,
      aborted: summary.aborted,
      skipped: summary.skipped,
      rows: summary.rows,
    });
    emit({ type: 'run-finished', summary });
    return summary;
  }
}
