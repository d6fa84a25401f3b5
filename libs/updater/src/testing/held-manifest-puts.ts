import { setTimeout as sleepFor } from 'node:timers/promises';
import type { S3FaultProxy } from '@storage-builder/services/testing';
import type { Chooser } from './chooser';
import type { PhaseClock } from './phase-clock';

/**
 * Holds back manifest PUTs under `prefix` at the proxy, one at a time, each for a random
 * while: a commit that lands late, after other writers have moved on. `onHeld` is called
 * for each PUT that was held.
 */
export async function holdManifestPuts(proxy: S3FaultProxy, prefix: string, choose: Chooser, holds: readonly [number, number], clock: PhaseClock, onHeld: () => void): Promise<void> {
  const isManifestPut = (r: { operation: string; key: string }) => r.operation === 'PutObject' && r.key.startsWith(`${prefix}/`) && r.key.endsWith('/manifest.json');
  const count = choose.between(holds);
  for (let n = 0; n < count && clock.running; n++) {
    await clock.pause(choose.between([0, 700]));
    const fault = proxy.inject({ matches: isManifestPut, fault: { kind: 'hold' }, times: 1 });
    // No manifest PUT may come before the phase ends: then the rule is dropped unused.
    const reached = await Promise.race([fault.reached.then(() => true), clock.pause(clock.remainingMs()).then(() => false)]);
    if (reached) {
      onHeld();
      await sleepFor(choose.between([50, 1_500]));
    }
    fault.release();
    fault.remove();
  }
}
