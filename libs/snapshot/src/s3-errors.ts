/** HTTP status of an S3 SDK error, or undefined for anything else. */
export function s3Status(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

export function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return s3Status(error) === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

/** Why a write was refused because someone else wrote first. */
export type SnapshotConflictCode = 'precondition-failed' | 'object-exists' | 'manifest-changed' | 'watermark-mismatch' | 'fenced';

/**
 * Another writer got there first (S3 answered 412, or the manifest moved under us). The
 * caller re-reads the manifest and decides: usually the target is already done, or the
 * run starts over from the new watermark.
 */
export class SnapshotConflictError extends Error {
  override readonly name = 'SnapshotConflictError';
  constructor(
    readonly code: SnapshotConflictCode,
    readonly key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Retryable S3 answers for conditional writes: 409 ConditionalRequestConflict means a
 * concurrent operation on the key; AWS says to retry. Everything else is rethrown (the
 * SDK already retries throttling and 5xx).
 */
export const RETRYABLE_STATUS: Readonly<Record<number, { minDelayMs: number; maxDelayMs: number }>> = {
  409: { minDelayMs: 50, maxDelayMs: 1000 },
};
export const MAX_CONFLICT_ATTEMPTS = 4;

export function retryDelay(status: number, attempt: number, random: () => number = Math.random): number | undefined {
  const rule = RETRYABLE_STATUS[status];
  if (!rule) return undefined;
  const ceiling = Math.min(rule.maxDelayMs, rule.minDelayMs * 2 ** attempt);
  return rule.minDelayMs + random() * (ceiling - rule.minDelayMs);
}

/** Runs `attempt`, retrying answers in {@link RETRYABLE_STATUS} with jittered backoff. */
export async function withConflictRetry<T>(attempt: () => Promise<T>, sleep: (ms: number) => Promise<void>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      const status = s3Status(error);
      const delay = status === undefined ? undefined : retryDelay(status, i);
      if (delay === undefined || i + 1 >= MAX_CONFLICT_ATTEMPTS) throw error;
      await sleep(delay);
    }
  }
}
