import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Target } from '@storage-builder/data-model';
import { MIN_PART_SIZE } from './multipart-upload';
import { MAX_KEYS_PER_DELETE, SnapshotStore } from './snapshot-store';
import { collect } from './testing/generate-rows';
import { snapshotTestStore } from './testing/object-store';

function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Yields `bytes` in chunks, optionally failing after `failAfter` bytes. */
async function* chunked(bytes: Buffer, chunk: number, failAfter = Infinity): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += chunk) {
    if (at >= failAfter) throw new Error('source failed half-way');
    yield bytes.subarray(at, at + chunk);
  }
}

describe('snapshot store on a real S3-protocol server', () => {
  it('detects whether the store enforces conditional writes, and says so', async () => {
    await using env = await snapshotTestStore();
    const support = await env.store.conditionalWrites();
    if (env.service.provider === 'embedded') {
      // s3rver 3.7.1 ignores If-None-Match and If-Match on PUT.
      expect(support).toEqual({ ifNoneMatch: false, ifMatch: false });
      expect(env.warnings.join('\n')).toMatch(/does not enforce conditional writes/);
    }
    expect(await env.listKeys()).toEqual([]);
  });

  it('uploads a stream larger than several parts with bounded part buffers', async () => {
    await using env = await snapshotTestStore({ partSize: MIN_PART_SIZE, queueSize: 2 });
    const bytes = pseudoRandomBytes(4 * MIN_PART_SIZE + 12345, 7);
    const result = await env.store.upload('snapshots/big.bin', chunked(bytes, 64 * 1024));
    expect(result).toMatchObject({ parts: 5, bytes: bytes.length });
    expect(result.peakBufferedBytes).toBeLessThanOrEqual(MIN_PART_SIZE * (2 + 1));
    const back = await env.store.get('snapshots/big.bin');
    expect((await collect(back!.body)).equals(bytes)).toBe(true);
  });

  it('uses one PUT for an object smaller than a part', async () => {
    await using env = await snapshotTestStore();
    const result = await env.store.upload('snapshots/small.bin', Readable.from([Buffer.from('abc')]));
    expect(result).toMatchObject({ parts: 0, bytes: 3 });
  });

  it.each([
    ['a source that fails', (bytes: Buffer) => ({ body: chunked(bytes, 256 * 1024, 2 * MIN_PART_SIZE + 1), signal: undefined })],
    [
      'an abort signal',
      (bytes: Buffer) => {
        const controller = new AbortController();
        async function* body() {
          for await (const chunk of chunked(bytes, 256 * 1024)) {
            yield chunk;
            // Abort once two parts are on their way.
            if (chunk.byteOffset >= 2 * MIN_PART_SIZE) controller.abort(new Error('worker stopping'));
          }
        }
        return { body: body(), signal: controller.signal };
      },
    ],
  ])('leaves no visible object when an upload is killed half-way by %s', async (_how, make) => {
    await using env = await snapshotTestStore({ partSize: MIN_PART_SIZE, queueSize: 1 });
    const bytes = pseudoRandomBytes(4 * MIN_PART_SIZE, 3);
    const { body, signal } = make(bytes);
    await expect(env.store.upload('snapshots/killed.bin', body, { signal })).rejects.toThrow(/source failed half-way|worker stopping/);
    expect(await env.listKeys()).toEqual([]);
    if (env.service.provider === 'embedded') {
      // s3rver has no AbortMultipartUpload route; the store says so instead of failing.
      expect(env.warnings.join('\n')).toMatch(/could not abort an unfinished multipart upload/);
    }
  });

  it('lists and deletes more keys than one S3 request takes', async () => {
    await using env = await snapshotTestStore();
    const target: Target = { clientId: 7, kind: 'formulas' };
    const { directory } = env.store.keys(target);
    const keys = Array.from({ length: MAX_KEYS_PER_DELETE + 5 }, (_, i) => `${directory}g${String(i).padStart(8, '0')}-base-1.snap`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => env.store.putSmall(key, 'x')));
    expect(await env.store.listKeys(directory)).toEqual(keys);
    expect(await env.store.deleteQuietly(target, keys)).toEqual(keys);
    expect(await env.store.listKeys(directory)).toEqual([]);
  });

  it('refuses settings S3 would reject, naming the option', () => {
    const s3 = {} as never;
    expect(() => new SnapshotStore({ s3, bucket: 'b', partSize: 1024 })).toThrow(/partSize is 1024: S3 requires at least 5242880/);
    expect(() => new SnapshotStore({ s3, bucket: '' })).toThrow(/bucket is not set/);
    expect(() => new SnapshotStore({ s3, bucket: 'b', prefix: '/x/' })).toThrow(/prefix is "\/x\/"/);
  });
});
