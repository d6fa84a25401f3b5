import { ListObjectsCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { RuntimeConfig } from '../config/worker-config';

/**
 * Client settings from the configuration. With an endpoint (an S3-compatible store) the
 * client uses path-style addressing; checksums go only where an operation requires them,
 * since SDK v3 ≥ 3.729 sends CRC32 on every PUT in a framing some stores reject. An idle
 * connection fails after the socket timeout, as a retryable TimeoutError.
 */
export function s3ClientConfigOf(config: RuntimeConfig['s3']): S3ClientConfig {
  return {
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint, forcePathStyle: true } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    requestHandler: { socketTimeout: config.socketTimeoutSeconds * 1000 },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

export function createS3Client(config: RuntimeConfig['s3']): S3Client {
  return new S3Client(s3ClientConfigOf(config));
}

/**
 * Readiness of the bucket: a LIST of at most one key under the worker's prefix. It needs
 * only what the worker's policy grants (s3:ListBucket for keys under the prefix), where
 * HeadBucket would need ListBucket on the whole bucket.
 */
export async function checkBucket(s3: S3Client, bucket: string, prefix: string, signal: AbortSignal): Promise<void> {
  await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: `${prefix}/`, MaxKeys: 1 }), { abortSignal: signal });
}
