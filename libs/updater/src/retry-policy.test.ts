import { describe, expect, it } from 'vitest';
import { retryDelayMs, retryRuleFor, RETRY_RULES, withRetries } from './retry-policy';

const s3Error = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('retryRuleFor', () => {
  it.each([
    [Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'network'],
    [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 'postgres-transient'],
    [new Error('Connection terminated unexpectedly'), 'connection-ended'],
    [new Error('Client has encountered a connection error and is not queryable'), 'connection-ended'],
    [s3Error('SlowDown', 503), 's3-throttled'],
    [s3Error('InternalError', 500), 's3-transient'],
    [s3Error('ConditionalRequestConflict', 409), 's3-transient'],
  ])('retries %s as %s', (error, rule) => {
    expect(retryRuleFor(error)?.name).toBe(rule);
  });

  it.each([
    [new Error('unknown client 42')],
    [Object.assign(new Error('syntax error'), { code: '42601' })],
    [s3Error('PreconditionFailed', 412)],
    [s3Error('AccessDenied', 403)],
    ['a string'],
  ])('does not retry %s', (error) => {
    expect(retryRuleFor(error)).toBeUndefined();
  });
});

describe('retryDelayMs', () => {
  const network = RETRY_RULES.find((r) => r.name === 'network')!;

  it('grows exponentially up to the cap, with the jitter spread between min and the ceiling', () => {
    expect(retryDelayMs(network, 1, () => 1)).toBe(100);
    expect(retryDelayMs(network, 3, () => 1)).toBe(400);
    expect(retryDelayMs(network, 30, () => 1)).toBe(5_000);
    expect(retryDelayMs(network, 30, () => 0)).toBe(100);
  });
});

describe('withRetries', () => {
  it('retries retryable failures and reports each wait', async () => {
    const waits: number[] = [];
    let calls = 0;
    const { value, attempts } = await withRetries(
      async () => {
        calls++;
        if (calls < 3) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
        return 'done';
      },
      { maxAttempts: 5, sleep: async (ms) => void waits.push(ms), random: () => 0.5, onRetry: () => undefined },
    );
    expect({ value, attempts, waits }).toEqual({ value: 'done', attempts: 3, waits: [100, 150] });
  });

  it('rethrows a non-retryable failure at once, and a retryable one after the last attempt', async () => {
    let calls = 0;
    await expect(withRetries(async () => (calls++, Promise.reject(new Error('bad input'))), { maxAttempts: 5, sleep: async () => {} })).rejects.toThrow(
      'bad input',
    );
    expect(calls).toBe(1);
    calls = 0;
    const reset = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    await expect(withRetries(async () => (calls++, Promise.reject(reset)), { maxAttempts: 3, sleep: async () => {} })).rejects.toBe(reset);
    expect(calls).toBe(3);
  });
});
