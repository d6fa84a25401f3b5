// The in-process diagnostic pass over generated rows: promises created per row (async_hooks)
// and serialize calls per row, per strategy. Never timed: the hooks slow everything down.
import type { SerializerStrategy } from '@storage-builder/snapshot';
import { countPromises, generateFeed, serializeOnce } from '../serializer/generated-feed';
import { strategyFor, withPerRowAwait, type Injection } from '../harness/regression-injection';

export interface SerializerPassResult {
  strategy: SerializerStrategy;
  /** What ran (differs from `strategy` only under an injected regression). */
  ran: SerializerStrategy;
  promisesPerRow: number;
  serializeCallsPerRow: number;
  bytesPerRow: number;
}

/** Promises and serialize calls per row of one strategy over `rows` generated rows (compression none). */
export async function serializerPass(strategy: SerializerStrategy, rows: number, feedBatch: number, injection: Injection | undefined): Promise<SerializerPassResult> {
  const batches = generateFeed(rows, feedBatch);
  const ran = strategyFor(strategy, injection);
  const input = injection === 'per-row-await' ? withPerRowAwait(batches) : batches;
  let result!: Awaited<ReturnType<typeof serializeOnce>>;
  const promises = await countPromises(async () => {
    result = await serializeOnce(input, ran, 'none');
  });
  if (result.rows !== rows) throw new Error(`${strategy}: serialized ${result.rows} rows of ${rows}`);
  return { strategy, ran, promisesPerRow: promises / rows, serializeCallsPerRow: result.serializeCalls / rows, bytesPerRow: result.bytes / rows };
}
