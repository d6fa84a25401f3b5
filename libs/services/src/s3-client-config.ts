import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { ObjectStoreConnection } from './service-types';

/**
 * S3 client settings that work against AWS and S3-protocol servers alike:
 * - path-style addressing, since local servers do not resolve `bucket.host` names;
 * - checksums only when an operation requires them: SDK v3 (since 3.729) sends CRC32 with
 *   every PUT by default, in a framing that s3rver and some other stores store or reject
 *   instead of checking.
 */
export function s3ClientConfig(connection: ObjectStoreConnection): S3ClientConfig {
  return {
    endpoint: connection.endpoint,
    region: connection.region,
    credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}
