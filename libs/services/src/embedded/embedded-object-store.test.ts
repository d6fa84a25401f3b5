import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3ClientConfig } from '../s3-client-config';
import { startEmbeddedObjectStore } from './embedded-object-store';

describe('the embedded object store', () => {
  it('replaces an object whole: a PUT right after a longer one leaves exactly the second, and no leftover is listed', async () => {
    const store = await startEmbeddedObjectStore();
    const s3 = new S3Client(s3ClientConfig(store.connection));
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'whole' }));
      const long = Buffer.alloc(2 * 1024 * 1024, 0x61);
      for (let round = 0; round < 20; round++) {
        const short = Buffer.from(`{"round":${round}}`);
        await s3.send(new PutObjectCommand({ Bucket: 'whole', Key: 'manifest.json', Body: long }));
        await s3.send(new PutObjectCommand({ Bucket: 'whole', Key: 'manifest.json', Body: short }));
        const got = await s3.send(new GetObjectCommand({ Bucket: 'whole', Key: 'manifest.json' }));
        expect(Buffer.from(await got.Body!.transformToByteArray()).toString()).toBe(short.toString());
      }
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'whole' }));
      expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['manifest.json']);
    } finally {
      s3.destroy();
      await store.stop();
    }
  });
});
