import { describe, expect, it } from 'vitest';
import { runBounded } from './bounded-parallel';

/** A task that finishes only when the test says so, to observe concurrency without timers. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('runBounded', () => {
  it('never has more than the limit in flight and returns results in input order', async () => {
    const gates = [gate(), gate(), gate(), gate(), gate()];
    let inFlight = 0;
    let maxInFlight = 0;
    const run = runBounded([0, 1, 2, 3, 4], 2, async (i) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await gates[i]!.opened;
      inFlight--;
      return i * 10;
    });
    for (const g of [...gates].reverse()) g.open();
    const results = await run;
    expect(maxInFlight).toBe(2);
    expect(results.map((r) => r.result)).toEqual([0, 10, 20, 30, 40]);
  });

  it('starts nothing new after abort and reports only what it started', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const results = await runBounded(
      [0, 1, 2, 3],
      1,
      async (i) => {
        started.push(i);
        if (i === 1) controller.abort();
        return i;
      },
      controller.signal,
    );
    expect(started).toEqual([0, 1]);
    expect(results.map((r) => r.item)).toEqual([0, 1]);
  });
});
