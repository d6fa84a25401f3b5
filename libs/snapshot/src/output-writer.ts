import { once } from 'node:events';
import { PassThrough, type Writable } from 'node:stream';
import type { SnapshotTotals } from './snapshot-encoder';
import type { StrategyInput, StrategyOutput } from './serializer-strategy';

/** Output stream buffer: enough to keep an upload busy, small next to a multipart part. */
export const OUTPUT_HIGH_WATER_MARK = 1024 * 1024;

/**
 * Writes `chunk` and waits only when the stream asks for it (`write` returned false), the
 * way `await stream.WriteAsync(...)` behaves on a buffered .NET stream. Fails if the
 * stream was destroyed, so a producer never waits on a reader that left.
 */
export async function writeWithBackpressure(output: Writable, chunk: Buffer): Promise<void> {
  if (output.destroyed) throw new Error('snapshot output was closed by its reader');
  if (chunk.length === 0 || output.write(chunk)) return;
  const drained = once(output, 'drain');
  const closed = once(output, 'close').then(() => {
    throw new Error('snapshot output was closed by its reader');
  });
  await Promise.race([drained, closed]);
  closed.catch(() => undefined);
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(`serialization aborted: ${String(signal.reason)}`);
}

/**
 * The output of a strategy that pushes its bytes (`write` writes them and ends `output`):
 * a failure destroys the stream with the error, so its reader sees it too.
 */
export function pushedOutput(write: (output: Writable) => Promise<SnapshotTotals>): StrategyOutput {
  const output = new PassThrough({ highWaterMark: OUTPUT_HIGH_WATER_MARK });
  const totals = write(output);
  totals.catch((error: unknown) => output.destroy(error instanceof Error ? error : new Error(String(error))));
  return { stream: output, totals };
}

/** Copies the encoder's counts into the strategy's counters, which progress reports read mid-file. */
export function syncCounts({ encoder, counters }: Pick<StrategyInput, 'encoder' | 'counters'>): void {
  counters.rows = encoder.counts.rows;
  counters.tombstones = encoder.counts.tombstones;
}

/**
 * Syncs the counts and writes what the encoder produced since the last write. Not an async
 * function: the legacy strategy calls it per record, and an async wrapper would add a
 * promise per record to what the harness measures.
 */
export function writeEncoded(output: Writable, input: Pick<StrategyInput, 'encoder' | 'counters'>): Promise<void> {
  syncCounts(input);
  return writeWithBackpressure(output, input.encoder.takeOutput());
}

/** Ends the file: the trailer is written and `output` ended; returns the file's totals. */
export async function endFile(output: Writable, { encoder, finish }: Pick<StrategyInput, 'encoder' | 'finish'>): Promise<SnapshotTotals> {
  const totals = finish();
  await writeWithBackpressure(output, encoder.takeOutput());
  output.end();
  return totals;
}
