import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionObjectStore } from '../object-store-service';
import type { ObjectStoreService } from '../service-types';
import { INTERNAL_ERROR, S3FaultProxy, SLOW_DOWN } from './s3-fault-proxy';

let store: ObjectStoreService;
let proxy: S3FaultProxy;

beforeAll(async () => {
  store = await provisionObjectStore({ label: 'fault-proxy-test' });
  proxy = await S3FaultProxy.start(store.connection.endpoint);
});
afterAll(async () => {
  await proxy?.stop();
  await store?.stop();
});

/** A client that talks to the store through the proxy. */
function client(options: { maxAttempts?: number; socketTimeout?: number } = {}): S3Client {
  return new S3Client({
    ...store.clientConfig,
    endpoint: proxy.url,
    maxAttempts: options.maxAttempts ?? 3,
    // An idle socket is what a stalled store looks like; without this timeout the SDK waits forever.
    requestHandler: { socketTimeout: options.socketTimeout ?? 10_000 },
  });
}

const put = (s3: S3Client, Key: string, signal?: AbortSignal) =>
  s3.send(new PutObjectCommand({ Bucket: store.bucket, Key, Body: `body of ${Key}` }), { abortSignal: signal });

async function exists(Key: string): Promise<boolean> {
  const direct = new S3Client(store.clientConfig);
  try {
    await direct.send(new HeadObjectCommand({ Bucket: store.bucket, Key }));
    return true;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw error;
  } finally {
    direct.destroy();
  }
}

describe('S3FaultProxy', () => {
  it('forwards requests unchanged: signatures still verify at the store', async () => {
    const s3 = client();
    await put(s3, 'plain/object');
    const got = await s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: 'plain/object' }));
    expect(await got.Body!.transformToString()).toBe('body of plain/object');
    expect(proxy.requests.filter((r) => r.key === 'plain/object').map((r) => [r.operation, r.status])).toEqual([
      ['PutObject', 200],
      ['GetObject', 200],
    ]);
    s3.destroy();
  });

  it('answers 503 SlowDown the given number of times; the client retries past it', async () => {
    const s3 = client();
    const fault = proxy.inject({ matches: (r) => r.key === 'throttled/object', fault: SLOW_DOWN, times: 2 });
    await put(s3, 'throttled/object');
    expect(fault.hits).toBe(2);
    expect(proxy.requests.filter((r) => r.key === 'throttled/object').map((r) => r.outcome)).toEqual(['status', 'status', 'forwarded']);
    fault.remove();
    s3.destroy();
  });

  it('fails every matching request with a persistent 500 and leaves other keys alone', async () => {
    const s3 = client({ maxAttempts: 2 });
    const fault = proxy.inject({ matches: (r) => r.key.startsWith('broken/'), fault: INTERNAL_ERROR });
    await expect(put(s3, 'broken/object')).rejects.toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 500 } });
    await put(s3, 'healthy/object');
    expect(fault.hits).toBe(2);
    expect(await exists('broken/object')).toBe(false);
    fault.remove();
    s3.destroy();
  });

  it('resets the connection', async () => {
    const s3 = client({ maxAttempts: 1 });
    const fault = proxy.inject({ matches: (r) => r.key === 'reset/object', fault: { kind: 'reset' }, times: 1 });
    await expect(put(s3, 'reset/object')).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|EPIPE/) });
    expect(fault.hits).toBe(1);
    fault.remove();
    s3.destroy();
  });

  it('stalls until the client times out', async () => {
    const s3 = client({ maxAttempts: 1, socketTimeout: 300 });
    const fault = proxy.inject({ matches: (r) => r.key === 'stalled/object', fault: { kind: 'stall' } });
    await expect(put(s3, 'stalled/object')).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(await exists('stalled/object')).toBe(false);
    fault.remove();
    s3.destroy();
  });

  it('holds a request before the store sees it, or holds the answer after the store applied it', async () => {
    const s3 = client({ maxAttempts: 1 });
    const before = proxy.inject({ matches: (r) => r.key === 'held/request', fault: { kind: 'hold' } });
    const after = proxy.inject({ matches: (r) => r.key === 'held/answer', fault: { kind: 'hold-response' } });
    const abort = new AbortController();
    const pending = [put(s3, 'held/request', abort.signal), put(s3, 'held/answer', abort.signal)].map((p) => p.catch((error: unknown) => error));
    await Promise.all([before.reached, after.reached]);
    expect(await exists('held/request')).toBe(false);
    expect(await exists('held/answer')).toBe(true);
    abort.abort();
    for (const outcome of await Promise.all(pending)) expect(outcome).toMatchObject({ name: 'AbortError' });
    before.remove();
    after.remove();
    s3.destroy();
  });
  it('forwards a held request once released', async () => {
    const s3 = client({ maxAttempts: 1 });
    const fault = proxy.inject({ matches: (r) => r.key === 'released/object', fault: { kind: 'hold' }, times: 1 });
    const pending = put(s3, 'released/object');
    await fault.reached;
    expect(await exists('released/object')).toBe(false);
    fault.release();
    await pending;
    expect(await exists('released/object')).toBe(true);
    fault.remove();
    s3.destroy();
  });
});
