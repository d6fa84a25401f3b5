import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Status } from './s3-errors';

/** What the store enforces; detected by {@link probeConditionalWrites}, never assumed. */
export interface ConditionalWriteSupport {
  /** PUT with `If-None-Match: *` fails with 412 when the key exists. */
  readonly ifNoneMatch: boolean;
  /** PUT with `If-Match: <etag>` fails with 412 when the ETag differs. */
  readonly ifMatch: boolean;
}

/**
 * Writes a probe object three times under `prefix`: plain, then `If-None-Match: *` (must
 * be refused, the key exists), then `If-Match` with a wrong ETag (must be refused). A
 * store that accepts either write ignores that header. s3rver 3.7.1 ignores both.
 */
export async function probeConditionalWrites(s3: S3Client, bucket: string, prefix: string): Promise<ConditionalWriteSupport> {
  const key = `${prefix}/.probe/conditional-${randomUUID()}`;
  const put = async (headers: { IfNoneMatch?: string; IfMatch?: string }) => {
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'probe', ...headers }));
      return 'not-enforced' as const;
    } catch (error) {
      const status = s3Status(error);
      if (status === 412) return 'refused' as const;
      // 400/501: the store rejects the header outright; it cannot guard a write either.
      if (status === 400 || status === 501) return 'not-enforced' as const;
      throw error;
    }
  };
  try {
    await put({});
    const ifNoneMatch = (await put({ IfNoneMatch: '*' })) === 'refused';
    const ifMatch = (await put({ IfMatch: '"00000000000000000000000000000000"' })) === 'refused';
    return { ifNoneMatch, ifMatch };
  } finally {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
  }
}
