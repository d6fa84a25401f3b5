import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { chooseFor } from './choose-for';
import { startEmbeddedObjectStore } from './embedded/embedded-object-store';
import { readObjectStoreEnvironment } from './environment-settings';
import { uniqueSuffix } from './local-resources';
import { resolveProvisionOptions, type ProvisionOptions } from './provision-options';
import type { ReleaseStack } from '@storage-builder/resources';
import { withReleaseOnFailure } from './release-stack';
import { s3ClientConfig } from './s3-client-config';
import { makeHandle } from './service-handle';
import type { ObjectStoreConnection, ObjectStoreService } from './service-types';
import type { ProviderChoice } from './provider-choice';
import { startObjectStoreContainer } from './testcontainers/start-containers';

export interface ObjectStoreOptions extends ProvisionOptions {
  /**
   * Use this existing bucket and leave it in place on stop.
   * @defaultValue a new bucket for this handle alone, emptied and deleted on stop
   */
  bucket?: string;
}

/** Provides an S3-protocol store and a bucket: `S3_ENDPOINT`, else LocalStack via Testcontainers, else s3rver. */
export async function provisionObjectStore(options: ObjectStoreOptions = {}): Promise<ObjectStoreService> {
  const resolved = resolveProvisionOptions(options);
  const environment = readObjectStoreEnvironment(resolved.env);
  const choice = await chooseFor('object-store', resolved, environment !== undefined, () => ({
    available: true,
    detail: 's3rver is a dependency',
  }));

  return withReleaseOnFailure(async (stack) => {
    const connection = await startServer(choice, environment, stack);
    const clientConfig = s3ClientConfig(connection);
    const bucket = options.bucket ?? (await createOwnBucket(clientConfig, `sb-${resolved.label}-${uniqueSuffix()}`, stack));
    return makeHandle(
      { kind: 'object-store' as const, provider: choice.provider, reason: choice.reason, connection, bucket, clientConfig },
      stack,
    );
  });
}

async function startServer(
  { provider, image }: ProviderChoice,
  environment: ObjectStoreConnection | undefined,
  stack: ReleaseStack,
): Promise<ObjectStoreConnection> {
  switch (provider) {
    case 'environment':
      return environment as ObjectStoreConnection;
    case 'testcontainers': {
      const container = await startObjectStoreContainer(image!);
      stack.push(`container ${image}`, container.stop);
      return container.value;
    }
    case 'embedded': {
      const server = await startEmbeddedObjectStore();
      stack.push('embedded object store', server.stop);
      return server.connection;
    }
  }
}

async function createOwnBucket(config: ReturnType<typeof s3ClientConfig>, bucket: string, stack: ReleaseStack): Promise<string> {
  const client = new S3Client(config);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    client.destroy();
    throw new Error(`could not create bucket ${bucket} at ${String(config.endpoint)}: ${(error as Error).message}`);
  }
  stack.push(`bucket ${bucket}`, async () => {
    try {
      await emptyBucket(client, bucket);
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    } finally {
      client.destroy();
    }
  });
  return bucket;
}

/**
 * Deletes every object and aborts every unfinished multipart upload in `bucket`. Pages with
 * ListObjects (v1) and the last key as marker: s3rver 3.7 fails a truncated ListObjectsV2,
 * since its continuation tokens use DES, which OpenSSL 3 no longer offers.
 */
async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  let marker: string | undefined;
  for (;;) {
    const page = await client.send(new ListObjectsCommand({ Bucket: bucket, Marker: marker }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    if (!page.IsTruncated || keys.length === 0) break;
    marker = keys[keys.length - 1]!.Key;
  }
  const uploads = await client
    .send(new ListMultipartUploadsCommand({ Bucket: bucket }))
    // s3rver cannot list uploads; its unfinished parts go with its directory on stop.
    .catch((error: Error) => (error.name === 'NotImplemented' ? { Uploads: [] } : Promise.reject(error)));
  for (const upload of uploads.Uploads ?? []) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }));
  }
}
