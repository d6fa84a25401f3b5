import { once } from 'node:events';
import type { Writable } from 'node:stream';

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
