import { hasChanges, type ChangeBatch } from '@storage-builder/data-model';

/**
 * Looks for the first batch that holds a change. Returns undefined when there is none
 * (the iterable is then finished), else an iterable that yields that batch and the rest.
 */
export async function firstChange(batches: AsyncIterable<ChangeBatch>): Promise<AsyncIterable<ChangeBatch> | undefined> {
  const iterator = batches[Symbol.asyncIterator]();
  let first: IteratorResult<ChangeBatch>;
  do {
    first = await iterator.next();
  } while (!first.done && !hasChanges(first.value));
  if (first.done) return undefined;
  const head = first.value;
  return (async function* () {
    try {
      yield head;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      await iterator.return?.();
    }
  })();
}
