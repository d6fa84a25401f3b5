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
