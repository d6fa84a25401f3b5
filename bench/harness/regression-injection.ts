// Deliberate regressions for the gate's own test (gate.test.ts). Nothing in libs/ is
// touched: the gate reads the variable and hands the injection to the paths it measures
// (its diagnostic pass, the measured child through MeasureOptions.injection, the hot-path
// child of the instruction counts through its environment); no other command injects anything.
//
//   GATE_INJECT_REGRESSION=legacy-serializer  the legacy serializer is used wherever the gate
//                                             asks for 'streaming' (diagnostic pass and every
//                                             UpdateAll child), as if the fix were reverted.
//   GATE_INJECT_REGRESSION=per-row-await      one extra `await` per row between the feed and
//                                             the serializer (SnapshotPublisher#publish is
//                                             wrapped in the child; the diagnostic pass feeds
//                                             the serializer the same way).
//   GATE_INJECT_REGRESSION=encoder-extra-work the first 32nd of every read of COPY text is
//                                             encoded a second time (into an encoder that is
//                                             thrown away) where the gate counts the encoder's
//                                             instructions: 5.6% more per row (7,005 against 6,632), a
//                                             regression CPU seconds cannot see.
import { rowCount, type ChangeBatch } from '@storage-builder/data-model';
import { SnapshotPublisher, type PublishInput, type SerializerStrategy } from '@storage-builder/snapshot';

export const INJECT_VARIABLE = 'GATE_INJECT_REGRESSION';
export const INJECTIONS = ['legacy-serializer', 'per-row-await', 'encoder-extra-work'] as const;
export type Injection = (typeof INJECTIONS)[number];

/** The injection named in the environment; throws on an unknown name (a typo must not pass silently). */
export function injectionFromEnv(env: NodeJS.ProcessEnv = process.env): Injection | undefined {
  const raw = env[INJECT_VARIABLE];
  if (raw === undefined || raw === '') return undefined;
  if ((INJECTIONS as readonly string[]).includes(raw)) return raw as Injection;
  throw new Error(`${INJECT_VARIABLE} is ${JSON.stringify(raw)}: use one of ${INJECTIONS.join(', ')} or leave it unset`);
}

/** The strategy actually used when the gate asks for `wanted`. */
export function strategyFor(wanted: SerializerStrategy, injection: Injection | undefined): SerializerStrategy {
  return injection === 'legacy-serializer' && wanted === 'streaming' ? 'legacy' : wanted;
}

/** The batches, handed over with one awaited promise per row. */
export async function* withPerRowAwait(batches: AsyncIterable<ChangeBatch> | Iterable<ChangeBatch>): AsyncGenerator<ChangeBatch> {
  for await (const batch of batches) {
    for (let i = rowCount(batch.rows); i > 0; i--) await Promise.resolve(i);
    yield batch;
  }
}

let publishWrapped = false;
/** Wraps SnapshotPublisher#publish in this process so every publish reads through {@link withPerRowAwait}. */
export function wrapPublisherWithPerRowAwait(): void {
  if (publishWrapped) return;
  publishWrapped = true;
  const original = SnapshotPublisher.prototype.publish;
  SnapshotPublisher.prototype.publish = function (this: SnapshotPublisher, input: PublishInput) {
    return original.call(this, { ...input, batches: withPerRowAwait(input.batches) });
  };
}
