/**
 * Releases resources last-in-first-out: what was opened last closes first, so nothing is
 * closed under something that still uses it. Every release runs even when an earlier one fails.
 */
export class ReleaseStack {
  private readonly releasers: Array<{ label: string; release: () => Promise<void> | void }> = [];
  private released: Promise<void> | undefined;

  push(label: string, release: () => Promise<void> | void): void {
    this.releasers.push({ label, release });
  }

  /**
   * Runs every release, the last pushed first. With `onError`, each failure is handed to it by
   * label and the promise resolves: a stopping worker logs what it could not close and goes
   * on. Without, the failures are thrown together once every release has run. Safe to call
   * more than once, from a signal handler and a `finally` at the same time: later calls wait
   * for the first and share its outcome, so nothing is released twice or out of order.
   */
  releaseAll(onError?: (label: string, error: unknown) => void): Promise<void> {
    this.released ??= this.runAll(onError);
    return this.released;
  }

  private async runAll(onError: ((label: string, error: unknown) => void) | undefined): Promise<void> {
    const failures: Error[] = [];
    for (let next = this.releasers.pop(); next; next = this.releasers.pop()) {
      try {
        await next.release();
      } catch (error) {
        if (onError) onError(next.label, error);
        else failures.push(new Error(`releasing ${next.label} failed: ${error instanceof Error ? error.message : String(error)}`));
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, failures.map((f) => f.message).join('; '));
  }
}
