import { HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { provisionObjectStore } from './object-store-service';

describe('object store clean-up', () => {
  it('empties and deletes a bucket holding more than one listing page of objects', async () => {
    const store = await provisionObjectStore({ label: 'cleanup-test' });
    const s3 = new S3Client(store.clientConfig);
    try {
      const keys = Array.from({ length: 1_005 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((Key) => s3.send(new PutObjectCommand({ Bucket: store.bucket, Key, Body: 'x' }))));
      }
      await store.stop();
      // Only a shared server outlives the handle; an embedded or container store is gone with it.
      if (store.provider === 'environment') {
        await expect(s3.send(new HeadBucketCommand({ Bucket: store.bucket }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
      }
    } finally {
      s3.destroy();
      await store.stop();
    }
  });
});
