/**
 * Hands items from a pushing producer to a pulling consumer one at a time: `push`
 * resolves only when the consumer has taken the item. This is the legacy worker's
 * rhythm, one awaited hand-over per record, kept so the harness measures it.
 */
export class HandoffChannel<T> implements AsyncIterable<T> {
  private offered: { item: T; taken: () => void; refused: (error: unknown) => void } | undefined;
  private pull: ((result: IteratorResult<T>) => void) | undefined;
  private pullFailed: ((error: unknown) => void) | undefined;
  private ended: { error?: unknown } | undefined;
  private cancelled: { reason: unknown } | undefined;

  push(item: T): Promise<void> {
    if (this.cancelled) return Promise.reject(this.cancelled.reason);
    if (this.ended) return Promise.reject(new Error('push after the channel ended'));
    return new Promise<void>((taken, refused) => {
      this.offered = { item, taken, refused };
      this.deliver();
    });
  }

  /** The producer is done; the consumer's loop ends after the last item. */
  close(): void {
    this.ended ??= {};
    this.deliver();
  }

  /** The producer failed; the consumer's loop throws `error`. */
  fail(error: unknown): void {
    this.ended ??= { error };
    this.deliver();
  }

  /** The consumer gave up; the producer's pending and later pushes reject with `reason`. */
  cancel(reason: unknown): void {
    this.cancelled ??= { reason };
    this.offered?.refused(reason);
    this.offered = undefined;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        const result = await new Promise<IteratorResult<T>>((resolve, reject) => {
          this.pull = resolve;
          this.pullFailed = reject;
          this.deliver();
        });
        if (result.done) return;
        yield result.value;
      }
    } finally {
      this.cancel(new Error('the consumer stopped reading'));
    }
  }

  private deliver(): void {
    if (!this.pull || !this.pullFailed) return;
    const [pull, pullFailed] = [this.pull, this.pullFailed];
    if (this.offered) {
      const { item, taken } = this.offered;
      this.offered = this.pull = this.pullFailed = undefined;
      taken();
      pull({ value: item, done: false });
    } else if (this.ended) {
      this.pull = this.pullFailed = undefined;
      if (this.ended.error !== undefined) pullFailed(this.ended.error);
      else pull({ value: undefined, done: true });
    }
  }
}
