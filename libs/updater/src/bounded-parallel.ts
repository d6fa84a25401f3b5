/**
 * Runs `work` over `items` with at most `limit` in flight, in order of `items`. Stops
 * starting new items once `signal` is aborted; items in flight finish on their own terms.
 * Resolves with one outcome per item started; items never started are not in the result.
 */
export async function runBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<Array<{ item: T; result: R }>> {
  const results: Array<{ item: T; result: R; index: number }> = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      const item = items[index] as T;
      results.push({ item, index, result: await work(item, index) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results.sort((a, b) => a.index - b.index).map(({ item, result }) => ({ item, result }));
}
