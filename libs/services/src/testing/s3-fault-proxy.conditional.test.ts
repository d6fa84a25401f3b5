import { randomUUID } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { provisionObjectStore } from '../object-store-service';
import type { ObjectStoreService } from '../service-types';
import { S3FaultProxy } from './s3-fault-proxy';

let store: ObjectStoreService;
let proxy: S3FaultProxy;
/** Through the enforcing proxy. */
let s3: S3Client;
/** Straight at the store (s3rver), which ignores the conditional headers. */
let direct: S3Client;

beforeAll(async () => {
  store = await provisionObjectStore({ label: 'conditional-proxy-test' });
  proxy = await S3FaultProxy.start(store.connection.endpoint, { enforceConditionalWrites: true });
  // One attempt: a refused write must surface as it is, not be retried.
  s3 = new S3Client({ ...store.clientConfig, endpoint: proxy.url, maxAttempts: 1 });
  direct = new S3Client({ ...store.clientConfig, maxAttempts: 1 });
});
afterAll(async () => {
  s3?.destroy();
  direct?.destroy();
  await proxy?.stop();
  await store?.stop();
});

const uniqueKey = (name: string) => `conditional/${name}-${randomUUID()}`;

async function put(client: S3Client, Key: string, Body: string, conditions: { IfMatch?: string; IfNoneMatch?: string } = {}): Promise<string> {
  const answer = await client.send(new PutObjectCommand({ Bucket: store.bucket, Key, Body, ...conditions }));
  return answer.ETag!;
}

async function body(Key: string): Promise<string> {
  const answer = await direct.send(new GetObjectCommand({ Bucket: store.bucket, Key }));
  return answer.Body!.transformToString();
}

const preconditionFailed = { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } };

/**
 * The checks of `probeConditionalWrites` (libs/snapshot), repeated here: services cannot
 * import snapshot, which depends on services. A store that accepts either write ignores
 * that header.
 */
async function probe(client: S3Client): Promise<{ ifNoneMatch: boolean; ifMatch: boolean }> {
  const Key = uniqueKey('probe');
  const refused = (conditions: { IfMatch?: string; IfNoneMatch?: string }) =>
    put(client, Key, 'probe', conditions).then(
      () => false,
      (error: { $metadata?: { httpStatusCode?: number } }) => {
        if (error.$metadata?.httpStatusCode === 412) return true;
        throw error;
      },
    );
  try {
    await put(client, Key, 'probe');
    return { ifNoneMatch: await refused({ IfNoneMatch: '*' }), ifMatch: await refused({ IfMatch: '"00000000000000000000000000000000"' }) };
  } finally {
    await client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key }));
  }
}

describe('S3FaultProxy with enforceConditionalWrites', () => {
  it('s3rver itself ignores the conditional headers; through the proxy they are enforced', async () => {
    expect(await probe(direct)).toEqual({ ifNoneMatch: false, ifMatch: false });
    expect(await probe(s3)).toEqual({ ifNoneMatch: true, ifMatch: true });
  });

  it('If-None-Match: * creates a missing key, and refuses an existing one with 412, leaving it unchanged', async () => {
    const key = uniqueKey('create-only');
    await put(s3, key, 'first', { IfNoneMatch: '*' });
    await expect(put(s3, key, 'second', { IfNoneMatch: '*' })).rejects.toMatchObject(preconditionFailed);
    expect(await body(key)).toBe('first');
    expect(proxy.requests.filter((r) => r.key === key).map((r) => [r.outcome, r.status])).toEqual([
      ['forwarded', 200],
      ['refused', 412],
    ]);
  });

  it('If-Match: a stale ETag gets 412, the current one (quoted or not) 200, a missing key 404 NoSuchKey as on AWS', async () => {
    const key = uniqueKey('compare-and-swap');
    const stale = await put(s3, key, 'v1');
    const current = await put(s3, key, 'v2');
    await expect(put(s3, key, 'v3', { IfMatch: stale })).rejects.toMatchObject(preconditionFailed);
    expect(await body(key)).toBe('v2');
    const next = await put(s3, key, 'v3', { IfMatch: current });
    await put(s3, key, 'v4', { IfMatch: next.replace(/"/g, '') });
    expect(await body(key)).toBe('v4');
    await expect(put(s3, uniqueKey('missing'), 'v1', { IfMatch: current })).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('refuses both headers together, and If-None-Match other than *, with 501 as AWS does', async () => {
    const key = uniqueKey('unsupported');
    const etag = await put(s3, key, 'v1');
    const notImplemented = { name: 'NotImplemented', $metadata: { httpStatusCode: 501 } };
    await expect(put(s3, key, 'v2', { IfMatch: etag, IfNoneMatch: '*' })).rejects.toMatchObject(notImplemented);
    await expect(put(s3, key, 'v2', { IfNoneMatch: etag })).rejects.toMatchObject(notImplemented);
    expect(await body(key)).toBe('v1');
  });

  it('lets exactly one of two If-Match writes with the same ETag through when both reach the proxy together', async () => {
    const key = uniqueKey('race');
    const etag = await put(s3, key, 'v1');
    // Hold both until both have arrived, then forward them at once: only the per-key queue orders them.
    const fault = proxy.inject({ matches: (r) => r.key === key, fault: { kind: 'hold' }, times: 2 });
    const outcomes = Promise.allSettled([put(s3, key, 'from A', { IfMatch: etag }), put(s3, key, 'from B', { IfMatch: etag })]);
    await vi.waitFor(() => expect(fault.hits).toBe(2));
    fault.release();
    const [a, b] = await outcomes;
    const statuses = [a, b].map((o) => (o!.status === 'fulfilled' ? 200 : (o!.reason as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode));
    expect(statuses.sort()).toEqual([200, 412]);
    expect(await body(key)).toBe(a!.status === 'fulfilled' ? 'from A' : 'from B');
    fault.remove();
  });

  it('lets exactly one of several concurrent If-None-Match writes create the key', async () => {
    const key = uniqueKey('create-race');
    const writers = ['A', 'B', 'C', 'D', 'E'];
    const outcomes = await Promise.allSettled(writers.map((w) => put(s3, key, `from ${w}`, { IfNoneMatch: '*' })));
    const winners = writers.filter((_, i) => outcomes[i]!.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject(preconditionFailed);
    expect(await body(key)).toBe(`from ${winners[0]}`);
  });

  it('checks a held conditional write when it is released, not when it arrived', async () => {
    const key = uniqueKey('held');
    const etag = await put(s3, key, 'v1');
    // Writer B read v1 and sends its If-Match PUT; the proxy holds it before the store sees it.
    const fault = proxy.inject({ matches: (r) => r.key === key && r.operation === 'PutObject', fault: { kind: 'hold' }, times: 1 });
    const writerB = put(s3, key, 'from B', { IfMatch: etag }).catch((error: unknown) => error);
    await fault.reached;
    // Writer A commits meanwhile, with the same ETag: at this point B's condition would still hold.
    await put(s3, key, 'from A', { IfMatch: etag });
    fault.release();
    expect(await writerB).toMatchObject(preconditionFailed);
    expect(await body(key)).toBe('from A');
    expect(proxy.requests.filter((r) => r.key === key).map((r) => r.outcome)).toEqual(['forwarded', 'hold', 'forwarded', 'refused']);
    fault.remove();
  });

  describe('CompleteMultipartUpload', () => {
    /** Starts an upload of `key` and sends one part; the caller completes or aborts it. */
    async function startUpload(key: string, content: string): Promise<{ UploadId: string; ETag: string }> {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: store.bucket, Key: key }));
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket: store.bucket, Key: key, UploadId, PartNumber: 1, Body: content }));
      return { UploadId: UploadId!, ETag: ETag! };
    }
    /**
     * A refused upload stays open, as on AWS: abort it. s3rver answers AbortMultipartUpload
     * with MethodNotAllowed; its unfinished parts go with its directory when the store stops.
     */
    const abort = (key: string, upload: { UploadId: string }) =>
      s3
        .send(new AbortMultipartUploadCommand({ Bucket: store.bucket, Key: key, UploadId: upload.UploadId }))
        .catch((error: Error) => (error.name === 'MethodNotAllowed' ? undefined : Promise.reject(error)));
    const complete = (key: string, upload: { UploadId: string; ETag: string }, conditions: { IfMatch?: string; IfNoneMatch?: string }) =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: store.bucket,
          Key: key,
          UploadId: upload.UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: upload.ETag }] },
          ...conditions,
        }),
      );

    it('with If-None-Match: * on an existing key gets 412 and leaves the old object intact', async () => {
      const key = uniqueKey('multipart-exists');
      await put(s3, key, 'old object');
      const upload = await startUpload(key, 'new object');
      try {
        await expect(complete(key, upload, { IfNoneMatch: '*' })).rejects.toMatchObject(preconditionFailed);
        expect(await body(key)).toBe('old object');
      } finally {
        await abort(key, upload);
      }
    });

    it('with If-None-Match: * on a missing key, or If-Match with the current ETag, completes', async () => {
      const key = uniqueKey('multipart-new');
      await complete(key, await startUpload(key, 'created'), { IfNoneMatch: '*' });
      expect(await body(key)).toBe('created');
      const { ETag } = await s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
      const stale = await startUpload(key, 'stale');
      await complete(key, await startUpload(key, 'replaced'), { IfMatch: ETag! });
      expect(await body(key)).toBe('replaced');
      try {
        await expect(complete(key, stale, { IfMatch: ETag! })).rejects.toMatchObject(preconditionFailed);
        expect(await body(key)).toBe('replaced');
      } finally {
        await abort(key, stale);
      }
    });
  });
});
