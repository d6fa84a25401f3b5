/**
 * Which failures are worth another attempt, and how long to wait. Everything not in the
 * table is rethrown at once: retrying a bug or bad input only delays the report.
 */
export interface RetryRule {
  readonly name: string;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly matches: (error: ErrorFacts) => boolean;
}

/** The parts of an error the rules look at, from Node, node-postgres and the AWS SDK. */
export interface ErrorFacts {
  readonly code?: string;
  readonly name?: string;
  readonly httpStatus?: number;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);
/** SQLSTATEs of failures that a new connection or transaction can get past. */
const POSTGRES_TRANSIENT = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown (pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000', // connection_exception
  '08003', // connection_does_not_exist
  '08006', // connection_failure
  '53300', // too_many_connections
]);
const S3_TRANSIENT_NAMES = new Set(['SlowDown', 'InternalError', 'ServiceUnavailable', 'RequestTimeout', 'RequestTimeTooSkewed', 'TimeoutError']);

export const RETRY_RULES: readonly RetryRule[] = [
  { name: 'network', minDelayMs: 100, maxDelayMs: 5_000, matches: (e) => e.code !== undefined && NETWORK_CODES.has(e.code) },
  { name: 'postgres-transient', minDelayMs: 200, maxDelayMs: 10_000, matches: (e) => e.code !== undefined && POSTGRES_TRANSIENT.has(e.code) },
  { name: 'connection-ended', minDelayMs: 200, maxDelayMs: 10_000, matches: (e) => e.name === 'ConnectionTerminated' },
  { name: 's3-throttled', minDelayMs: 500, maxDelayMs: 20_000, matches: (e) => e.name === 'SlowDown' || e.httpStatus === 503 },
  {
    name: 's3-transient',
    minDelayMs: 200,
    maxDelayMs: 10_000,
    // 409 is S3's answer to a conditional write that raced another request: try again.
    matches: (e) => (e.name !== undefined && S3_TRANSIENT_NAMES.has(e.name)) || [500, 502, 504, 409].includes(e.httpStatus ?? 0),
  },
];

export function errorFacts(error: unknown): ErrorFacts {
  if (typeof error !== 'object' || error === null) return {};
  const record = error as { code?: unknown; name?: unknown; $metadata?: { httpStatusCode?: unknown }; message?: unknown };
  const facts: { code?: string; name?: string; httpStatus?: number } = {};
  if (typeof record.code === 'string') facts.code = record.code;
  if (typeof record.name === 'string') facts.name = record.name;
  if (typeof record.$metadata?.httpStatusCode === 'number') facts.httpStatus = record.$metadata.httpStatusCode;
  // node-postgres reports a connection that died under a query, or a query on it afterwards, with these messages and no code.
  if (facts.code === undefined && typeof record.message === 'string' && /Connection terminated|connection error and is not queryable/i.test(record.message)) {
    facts.name = 'ConnectionTerminated';
  }
  return facts;
}

export function retryRuleFor(error: unknown, rules: readonly RetryRule[] = RETRY_RULES): RetryRule | undefined {
  const facts = errorFacts(error);
  return rules.find((rule) => rule.matches(facts));
}

/** Exponential backoff with full jitter, never below the rule's minimum: spreads retries of many targets apart. */
export function retryDelayMs(rule: RetryRule, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(rule.maxDelayMs, rule.minDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(rule.minDelayMs + random() * (ceiling - rule.minDelayMs));
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  signal?: AbortSignal | undefined;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  onRetry?: (details: { attempt: number; delayMs: number; rule: string; error: unknown }) => void;
}

/** Runs `work` until it succeeds, fails with an error no rule matches, or runs out of attempts. */
export async function withRetries<T>(work: (attempt: number) => Promise<T>, options: RetryOptions): Promise<{ value: T; attempts: number }> {
  const sleep = options.sleep ?? abortableSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await work(attempt), attempts: attempt };
    } catch (error) {
      const rule = retryRuleFor(error);
      if (!rule || attempt >= options.maxAttempts || options.signal?.aborted) throw error;
      const delayMs = retryDelayMs(rule, attempt, options.random);
      options.onRetry?.({ attempt, delayMs, rule: rule.name, error });
      await sleep(delayMs, options.signal);
    }
  }
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
