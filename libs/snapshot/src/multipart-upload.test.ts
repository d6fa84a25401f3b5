import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { MIN_PART_SIZE, uploadStream } from './multipart-upload';

/** A store that answers after a turn of the event loop and records what each part held when it was sent. */
function recordingStore(options: { failPart?: number } = {}) {
  const parts = new Map<number, Buffer>();
  const backings = new Set<ArrayBufferLike>();
  const s3 = {
    async send(command: unknown) {
      await new Promise((resolve) => setImmediate(resolve));
      if (command instanceof CreateMultipartUploadCommand) return { UploadId: 'upload-1' };
      if (command instanceof UploadPartCommand) {
        const body = command.input.Body as Buffer;
        const number = command.input.PartNumber!;
        backings.add(body.buffer);
        if (number === options.failPart) throw new Error(`part ${number} refused`);
        parts.set(number, Buffer.from(body));
        return { ETag: `"etag-${number}"` };
      }
      if (command instanceof CompleteMultipartUploadCommand) return { ETag: '"final"' };
      return {};
    },
  } as unknown as S3Client;
  return { s3, parts, backings };
}

async function* chunks(bytes: Buffer, size: number) {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

function patterned(length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + (i >> 13)) & 0xff;
  return bytes;
}

describe('uploadStream', () => {
  it('fills the buffers of stored parts again: at most queueSize + 1 buffers, every part sent intact', async () => {
    const { s3, parts, backings } = recordingStore();
    const bytes = patterned(7 * MIN_PART_SIZE + 1234);
    const result = await uploadStream({ s3, bucket: 'b', key: 'k', body: chunks(bytes, 100_000), partSize: MIN_PART_SIZE, queueSize: 2 });
    expect(result).toMatchObject({ parts: 8, bytes: bytes.length, etag: '"final"' });
    expect(backings.size).toBeLessThanOrEqual(3);
    expect(result.peakBufferedBytes).toBeLessThanOrEqual(3 * MIN_PART_SIZE);
    expect(Buffer.concat([...parts.keys()].sort((a, b) => a - b).map((n) => parts.get(n)!)).equals(bytes)).toBe(true);
  });

  it('fails the upload when a part fails', async () => {
    const { s3 } = recordingStore({ failPart: 2 });
    const bytes = patterned(4 * MIN_PART_SIZE);
    await expect(uploadStream({ s3, bucket: 'b', key: 'k', body: chunks(bytes, 100_000), partSize: MIN_PART_SIZE, queueSize: 1 })).rejects.toThrow(/part 2 refused/);
  });
});
