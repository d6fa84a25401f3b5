// The distributed writers: two BullMQ consumers, each with an updater of its own, fed by a
// DistributedRunner, on a queue of the seed's own.
import type { Target } from '@storage-builder/data-model';
import { DistributedRunner } from '../distributed/distributed-run';
import { startTargetWorker } from '../distributed/target-worker';
import type { Logger } from '../logger';
import type { StorageUpdater } from '../storage-updater';
import type { Chooser } from './chooser';
import { removeQueue, type SeedCleanups } from './multi-writer-services';
import type { PhaseClock } from './phase-clock';
import type { WriterActivity } from './writer-activity';

export interface DistributedConsumer {
  readonly concurrency: number;
  readonly updater: StorageUpdater;
  readonly logger: Logger;
}

export class DistributedPair {
  /** Runs that ended with a summary. */
  runs = 0;
  // A lock of 1000 ms (BullMQ's minimum), so that a stalled consumer loses its jobs mid-target.
  private readonly settings: { redisUrl: string; prefix: string; lockDurationMs: number; attempts: number };
  private readonly consumers: ReturnType<typeof startTargetWorker>[];
  private readonly runner: DistributedRunner;

  /** Starts the consumers; `cleanups` closes them and removes the queue if the seed ends first. */
  constructor(queue: { redisUrl: string; prefix: string }, consumers: readonly DistributedConsumer[], cleanups: SeedCleanups) {
    this.settings = { redisUrl: queue.redisUrl, prefix: queue.prefix, lockDurationMs: 1_000, attempts: 3 };
    cleanups.add(`Redis keys ${queue.prefix}*`, () => removeQueue(this.settings));
    this.consumers = consumers.map((consumer) => startTargetWorker({ ...this.settings, ...consumer }));
    cleanups.add('queue consumers', () => Promise.all(this.consumers.map((c) => c.close(true))));
    this.runner = new DistributedRunner({ ...this.settings, pollIntervalMs: 250 });
    cleanups.add('distributed runner', () => this.runner.stop());
  }

  /** Distributed runs over every target while the phase lasts. */
  async runAll(targets: readonly Target[], choose: Chooser, runs: readonly [number, number], clock: PhaseClock, activity: WriterActivity, log: (line: string) => void): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.waitUntilReady()));
    const count = choose.between(runs);
    for (let n = 1; n <= count && clock.running; n++) {
      await clock.pause(choose.between([0, 800]));
      // Bounded: the run stops waiting some time after the phase (its jobs stay queued until the queue is removed).
      const stopWaiting = AbortSignal.timeout(Math.max(1_000, clock.remainingMs()) + 15_000);
      const summary = await this.runner.run(choose.shuffled(targets), { signal: stopWaiting });
      this.runs++;
      for (const result of summary.results) activity.noteResult('distributed', result);
      log(`  distributed run ${n}: ${summary.completed.full + summary.completed.incremental} completed, ${summary.failed} failed, ${summary.skipped} skipped`);
    }
  }

  /** After the phase: the producer, then the consumers (letting their jobs end), then the queue. */
  async stop(): Promise<void> {
    await this.runner.stop();
    await Promise.all(this.consumers.map((c) => c.close()));
    await removeQueue(this.settings);
  }
}
