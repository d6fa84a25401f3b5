import { setTimeout as sleepFor } from 'node:timers/promises';

/**
 * The concurrent phase's time limit. Every loop of the phase starts work only while it
 * runs; a stall of the event loop extends it by the time stalled, so a stall does not eat
 * the phase. Stopping it ends every pause at once.
 */
export class PhaseClock {
  private deadline: number;
  private readonly stopped = new AbortController();

  constructor(durationMs: number) {
    this.deadline = Date.now() + durationMs;
  }

  get running(): boolean {
    return Date.now() < this.deadline;
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  extend(ms: number): void {
    this.deadline += ms;
  }

  /** Waits `ms`, or less if the phase is stopped meanwhile; never rejects. */
  pause(ms: number): Promise<void> {
    return sleepFor(ms, undefined, { signal: this.stopped.signal }).catch(() => undefined);
  }

  stop(): void {
    this.stopped.abort();
  }
}
