import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { provisionObjectStore } from '@storage-builder/services';
import { SnapshotStore, type SnapshotStoreOptions } from '../snapshot-store';

/** A real S3-protocol store (s3rver unless S3_ENDPOINT is set), a client and a SnapshotStore; disposes all three. */
export async function snapshotTestStore(options: Partial<SnapshotStoreOptions> = {}) {
  const service = await provisionObjectStore({ label: 'snapshot-test' });
  const s3 = new S3Client(service.clientConfig);
  const warnings: string[] = [];
  const store = new SnapshotStore({
    s3,
    bucket: service.bucket,
    logger: { warn: (message) => warnings.push(message) },
    sleep: async () => undefined,
    ...options,
  });
  const listKeys = async (prefix = store.options.prefix): Promise<string[]> => {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: service.bucket, Prefix: prefix }));
    return (page.Contents ?? []).map((o) => o.Key ?? '').sort();
  };
  const stop = async () => {
    s3.destroy();
    await service.stop();
  };
  return { service, s3, store, warnings, listKeys, [Symbol.asyncDispose]: stop };
}
