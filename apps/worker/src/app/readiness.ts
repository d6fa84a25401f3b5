import type { ReadinessReport } from '../http/control-server';

export const READINESS_TIMEOUT_MS = 2_000;

/** Runs every named check at once, each within a timeout; ready when all pass. */
export async function checkReadiness(checks: Record<string, (signal: AbortSignal) => Promise<void>>, timeoutMs = READINESS_TIMEOUT_MS): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        await Promise.race([
          check(signal),
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error(`no answer within ${timeoutMs} ms`)), { once: true })),
        ]);
        return [name, { ok: true }] as const;
      } catch (error) {
        return [name, { ok: false, error: error instanceof Error ? error.message || error.name : String(error) }] as const;
      }
    }),
  );
  return { ready: entries.every(([, result]) => result.ok), checks: Object.fromEntries(entries) };
}
