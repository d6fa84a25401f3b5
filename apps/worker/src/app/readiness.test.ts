import { describe, expect, it } from 'vitest';
import type { LogFields, Logger, LogLevel } from '@storage-builder/updater';
import { ReadinessProbe } from './readiness';

function recordingLogger() {
  const lines: Array<{ level: LogLevel; message: string; fields?: LogFields }> = [];
  const logger: Logger = { log: (level, message, fields) => void lines.push({ level, message, fields }) };
  return { logger, lines };
}

describe('ReadinessProbe', () => {
  it('says which checks fail, never why; the reason goes to the log', async () => {
    const { logger, lines } = recordingLogger();
    const probe = new ReadinessProbe({ database: () => Promise.reject(new Error('role "leakuser" does not exist')), bucket: async () => undefined }, logger);
    const report = await probe.report();
    expect(report).toEqual({ ready: false, checks: { database: 'fail', bucket: 'ok' } });
    expect(JSON.stringify(report)).not.toContain('leakuser');
    expect(lines).toEqual([{ level: 'warn', message: 'readiness check failed', fields: { check: 'database', error: 'role "leakuser" does not exist' } }]);
  });

  it('runs the checks once for a burst of calls, however long they take, and again once the answer is old', async () => {
    let runs = 0;
    let now = 0;
    let answer!: () => void;
    const probe = new ReadinessProbe({ database: () => (runs++, new Promise<void>((resolve) => (answer = resolve))) }, recordingLogger().logger, { cacheMs: 1000, now: () => now });
    const burst = [probe.report(), probe.report()];
    now = 5000; // still in flight: no second run beside it
    burst.push(probe.report());
    answer();
    await Promise.all(burst);
    now = 5999;
    await probe.report();
    expect(runs).toBe(1);
    now = 6000;
    const next = probe.report();
    answer();
    await next;
    expect(runs).toBe(2);
  });

  it('aborts a check that does not answer in time, so it can stop what it started', async () => {
    let aborted: AbortSignal | undefined;
    const probe = new ReadinessProbe({ database: (signal) => ((aborted = signal), new Promise(() => undefined)) }, recordingLogger().logger, { timeoutMs: 20 });
    expect(await probe.report()).toEqual({ ready: false, checks: { database: 'fail' } });
    expect(aborted?.aborted).toBe(true);
  });
});
