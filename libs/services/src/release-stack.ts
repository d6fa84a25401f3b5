/**
 * Releases resources last-in-first-out. Every release runs even when an earlier one
 * fails; the failures are thrown together at the end.
 */
export class ReleaseStack {
  private readonly releasers: Array<{ label: string; release: () => Promise<void> | void }> = [];
  private released: Promise<void> | undefined;

  push(label: string, release: () => Promise<void> | void): void {
    this.releasers.push({ label, release });
  }

  /** Safe to call more than once: later calls wait for the first. */
  releaseAll(): Promise<void> {
    this.released ??= this.runAll();
    return this.released;
  }

  private async runAll(): Promise<void> {
    const failures: Error[] = [];
    for (const { label, release } of this.releasers.reverse()) {
      try {
        await release();
      } catch (error) {
        failures.push(new Error(`releasing ${label} failed: ${error instanceof Error ? error.message : String(error)}`));
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, failures.map((f) => f.message).join('; '));
  }
}

/** Runs `build` with a fresh stack; if it throws, everything pushed so far is released before rethrowing. */
export async function withReleaseOnFailure<T>(build: (stack: ReleaseStack) => Promise<T>): Promise<T> {
  const stack = new ReleaseStack();
  try {
    return await build(stack);
  } catch (error) {
    await stack.releaseAll().catch(() => undefined);
    throw error;
  }
}
