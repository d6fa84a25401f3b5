// Deliberate regressions for the gate's own test (gate.test.ts). Nothing in libs/ is
// touched: the gate reads the variable and hands the injection to the paths it measures
// (its diagnostic pass, the measured child through MeasureOptions.injection, the hot-path
// child of the instruction counts through its environment, the worker bundle of the memory
// growth figure through a module built into it); no other command injects anything.
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
//   GATE_INJECT_REGRESSION=leak-per-row       the worker bundle keeps 100 bytes of every row it
//                                             publishes until the process ends (leak-per-row.ts,
//                                             built into the bundle the memory growth runs).
//   GATE_INJECT_REGRESSION=extra-request      one HeadObject more after each delta is published
//                                             (the incremental path), in the UpdateAll children.
//   GATE_INJECT_REGRESSION=compression-level  frames deflated at level 9 instead of the default
//                                             1, in the UpdateAll children and the encoder whose
//                                             instructions are counted.
import { rowCount, type ChangeBatch } from '@storage-builder/data-model';
import { SnapshotPublisher, type PublishInput, type SerializerStrategy } from '@storage-builder/snapshot';

export const INJECT_VARIABLE = 'GATE_INJECT_REGRESSION';
export const INJECTIONS = ['legacy-serializer', 'per-row-await', 'encoder-extra-work', 'leak-per-row', 'extra-request', 'compression-level'] as const;
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

/** The deflate level of `compression-level`: zlib's slowest, where the worker uses 1. */
export const INJECTED_DEFLATE_LEVEL = 9;

/** Bytes `leak-per-row` keeps of every row. */
export const LEAKED_BYTES_PER_ROW = 100;
/** Kept in slabs of 10,000 rows' bytes: 100 bytes a row and next to nothing for the objects holding them. */
const LEAK_SLAB_BYTES = LEAKED_BYTES_PER_ROW * 10_000;
const leaked: Buffer[] = [];
let leakOffset = LEAK_SLAB_BYTES;

/** The batches, unchanged, with {@link LEAKED_BYTES_PER_ROW} bytes a row written into memory that is never released. */
export async function* withLeakPerRow(batches: AsyncIterable<ChangeBatch> | Iterable<ChangeBatch>): AsyncGenerator<ChangeBatch> {
  for await (const batch of batches) {
    for (let i = rowCount(batch.rows); i > 0; i--) {
      if (leakOffset === LEAK_SLAB_BYTES) {
        leaked.push(Buffer.alloc(LEAK_SLAB_BYTES));
        leakOffset = 0;
      }
      // Written, not only allocated: the pages count in the resident set.
      leaked.at(-1)!.fill(i, leakOffset, leakOffset + LEAKED_BYTES_PER_ROW);
      leakOffset += LEAKED_BYTES_PER_ROW;
    }
    yield batch;
  }
}

const wrapped = new Set<string>();
/** Wraps SnapshotPublisher#publish in this process, once per `name`, so every publish reads its batches through `transform`. */
export function wrapPublishedBatches(name: string, transform: (batches: PublishInput['batches']) => AsyncIterable<ChangeBatch>): void {
  if (wrapped.has(name)) return;
  wrapped.add(name);
  const original = SnapshotPublisher.prototype.publish;
  SnapshotPublisher.prototype.publish = function (this: SnapshotPublisher, input: PublishInput) {
    return original.call(this, { ...input, batches: transform(input.batches) });
  };
}

/** Wraps SnapshotPublisher#publish in this process so each committed delta is followed by one HeadObject of it. */
export function wrapPublisherWithExtraRequest(): void {
  if (wrapped.has('extra-request')) return;
  wrapped.add('extra-request');
  const original = SnapshotPublisher.prototype.publish;
  SnapshotPublisher.prototype.publish = async function (this: SnapshotPublisher, input: PublishInput) {
    const result = await original.call(this, input);
    if (input.fromWatermark !== null) await this.options.store.head(result.object.key);
    return result;
  };
}
