/** Why a snapshot file was refused. */
export type SnapshotFormatErrorCode =
  | 'bad-magic'
  | 'unsupported-version'
  | 'corrupt-header'
  | 'wrong-target'
  | 'schema-mismatch'
  | 'corrupt-frame'
  | 'checksum-mismatch'
  | 'truncated'
  | 'trailing-data'
  | 'count-mismatch';

/**
 * A snapshot file that cannot be read as a whole. Rows a reader yielded before this error
 * belong to an incomplete file and must be discarded.
 */
export class SnapshotFormatError extends Error {
  override readonly name = 'SnapshotFormatError';
  constructor(
    readonly code: SnapshotFormatErrorCode,
    /** What is wrong, without the offset. */
    readonly detail: string,
    /** Byte offset in the file where the problem was found, when known. */
    readonly offset?: number,
    options?: ErrorOptions,
  ) {
    super(offset === undefined ? detail : `${detail} (at byte ${offset})`, options);
  }
}

/** The reader's error about an object, named with the object's key and the fix: the reader knows the byte, not the object. */
export function inObject(error: SnapshotFormatError, key: string): SnapshotFormatError {
  return new SnapshotFormatError(error.code, `${key}: ${error.detail}; restore it, or publish a full snapshot of the target`, error.offset, { cause: error });
}
