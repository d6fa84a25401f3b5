import { describe, expect, it } from 'vitest';
import { parseS3Request } from './s3-request';

describe('parseS3Request', () => {
  it.each([
    ['HEAD', '/bucket', 'HeadBucket', ''],
    ['GET', '/bucket?prefix=snapshots%2F&marker=x', 'ListObjects', ''],
    ['POST', '/bucket?delete', 'DeleteObjects', ''],
    ['GET', '/bucket/snapshots/client-1/raw-data/manifest.json', 'GetObject', 'snapshots/client-1/raw-data/manifest.json'],
    ['HEAD', '/bucket/a/b', 'HeadObject', 'a/b'],
    ['PUT', '/bucket/a/b?x-id=PutObject', 'PutObject', 'a/b'],
    ['DELETE', '/bucket/a/b', 'DeleteObject', 'a/b'],
    ['POST', '/bucket/a/b?uploads', 'CreateMultipartUpload', 'a/b'],
    ['PUT', '/bucket/a/b?partNumber=2&uploadId=u1', 'UploadPart', 'a/b'],
    ['POST', '/bucket/a/b?uploadId=u1', 'CompleteMultipartUpload', 'a/b'],
    ['DELETE', '/bucket/a/b?uploadId=u1', 'AbortMultipartUpload', 'a/b'],
  ])('%s %s is %s', (method, url, operation, key) => {
    expect(parseS3Request(method, url)).toMatchObject({ operation, bucket: 'bucket', key });
  });

  it('decodes the key and reads the part number', () => {
    expect(parseS3Request('PUT', '/b/g%2000000001-base-9.snap?partNumber=3&uploadId=z')).toEqual({
      method: 'PUT',
      operation: 'UploadPart',
      bucket: 'b',
      key: 'g 00000001-base-9.snap',
      partNumber: 3,
    });
  });
});
