import type { Logger } from '@storage-builder/updater';
import type { ReadinessReport } from '../http/control-server';

export const READINESS_TIMEOUT_MS = 2_000;
/** How long an answer is reused: a burst of /readyz calls runs the checks once, not once per call. */
export const READINESS_CACHE_MS = 1_000;

/** One dependency check; it should stop what it started when `signal` aborts. */
export type ReadinessCheck = (signal: AbortSignal) => Promise<void>;

/**
 * The worker's readiness: every check at once, each within a timeout, ready when all pass.
 * The answer says only which checks failed; why goes to the log (an unauthenticated caller
 * must not read database names, hosts or roles from an error). One run of the checks at a
 * time, and its answer is reused for {@link READINESS_CACHE_MS}.
 */
export class ReadinessProbe {
  /** The checks in flight, or the last answer and when it came. */
  private last: { report: Promise<ReadinessReport>; settledAt: number | undefined } | undefined;

  constructor(
    private readonly checks: Readonly<Record<string, ReadinessCheck>>,
    private readonly logger: Logger,
    private readonly options: { timeoutMs?: number; cacheMs?: number; now?: () => number } = {},
  ) {}

  report(): Promise<ReadinessReport> {
    const now = this.options.now ?? Date.now;
    const { last } = this;
    if (last && (last.settledAt === undefined || now() - last.settledAt < (this.options.cacheMs ?? READINESS_CACHE_MS))) return last.report;
    const current = { report: this.run(), settledAt: undefined as number | undefined };
    void current.report.then(() => (current.settledAt = now()));
    this.last = current;
    return current.report;
  }

  private async run(): Promise<ReadinessReport> {
    const timeoutMs = this.options.timeoutMs ?? READINESS_TIMEOUT_MS;
    const entries = await Promise.all(
      Object.entries(this.checks).map(async ([name, check]) => {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        try {
          await Promise.race([
            check(controller.signal),
            new Promise((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true })),
          ]);
          return [name, 'ok'] as const;
        } catch (error) {
          this.logger.log('warn', 'readiness check failed', { check: name, error: error instanceof Error ? error.message || error.name : String(error) });
          return [name, 'fail'] as const;
        } finally {
          clearTimeout(timer);
          // Whatever the check started (a connection, a request) is told to stop.
          controller.abort(new Error('readiness check finished'));
        }
      }),
    );
    return { ready: entries.every(([, state]) => state === 'ok'), checks: Object.fromEntries(entries) };
  }
}
