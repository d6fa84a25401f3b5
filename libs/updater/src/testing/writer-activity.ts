import { targetId } from '@storage-builder/data-model';
import type { Logger } from '../logger';
import type { TargetResult } from '../target-result';

/** Per writer: how its targets ended during the concurrent phase. */
export type OutcomeCounts = Record<'completed' | 'failed' | 'aborted' | 'heldSkip' | 'leaseLost' | 'otherSkip', number>;

/** Log messages of the writers worth counting (see `activity.events`). */
const NOTEWORTHY: ReadonlyArray<readonly [RegExp, string]> = [
  [/^target lease taken over by another writer/, 'lease taken over mid-target'],
  [/^could not renew a target lease/, 'lease not renewed for its TTL'],
  [/^target lease lost to another writer/, 'target ended: lease lost'],
  [/^target job aborted: this worker no longer holds its lock/, 'queue lock lost mid-target'],
  [/^target job attempt dropped/, 'queue attempt outcome dropped'],
  [/^target attempt failed; retrying/, 'attempt retried'],
];

/** Expected outcomes of contention: another writer holds or took the target, or the queue moved the job. */
const CONTENTION = /held by |lease lost|: (skipped|aborted): |lock|the run stopped waiting|the run was stopped before/;

/**
 * What the writers of the snapshots (in-process updaters, CLI runs, the queue consumers)
 * report of themselves: how their targets ended and what their logs say, from results in
 * this process or from a CLI's output alike.
 */
export class WriterActivity {
  readonly outcomes: Record<string, OutcomeCounts> = {};
  readonly events: Record<string, number> = {};
  /**
   * Damage a writer found and healed, as `<writer> <target>: <problem>`. Nothing here damages
   * objects, so each is a problem even when healed: readers saw a broken target meanwhile.
   */
  readonly damage = new Set<string>();
  /** Targets that failed for a reason other than contention; not a failure of the check by themselves. */
  readonly concurrentFailures: string[] = [];

  noteResult(writer: string, result: TargetResult): void {
    const detail = result.state === 'skipped' ? result.reason : result.state === 'failed' ? result.error : '';
    this.noteOutcome(writer, targetId(result.target), result.state, detail);
  }

  /** `detail`: why a target was skipped or failed. */
  noteOutcome(writer: string, target: string, state: TargetResult['state'], detail: string): void {
    const counts = (this.outcomes[writer] ??= { completed: 0, failed: 0, aborted: 0, heldSkip: 0, leaseLost: 0, otherSkip: 0 });
    if (state === 'completed') counts.completed++;
    else if (state === 'aborted') counts.aborted++;
    else if (state === 'skipped') counts[detail.startsWith('held by') ? 'heldSkip' : detail.startsWith('lease lost') ? 'leaseLost' : 'otherSkip']++;
    else {
      counts.failed++;
      if (!CONTENTION.test(detail)) this.concurrentFailures.push(`${writer} ${target}: ${detail}`);
    }
  }

  noteLog(writer: string, message: string, target: unknown, problem: unknown): void {
    const event = NOTEWORTHY.find(([pattern]) => pattern.test(message))?.[1];
    if (event) this.events[event] = (this.events[event] ?? 0) + 1;
    if (/damaged; rebuilding/.test(message)) this.damage.add(`${writer} ${String(target)}: ${String(problem ?? '')}`);
  }

  /** The logger of an in-process writer, noting what it logs. */
  loggerFor(writer: string): Logger {
    return { log: (_level, message, fields) => this.noteLog(writer, message, fields?.target, fields?.problem) };
  }
}
