import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

/** S3 refuses non-final parts below 5 MiB (s3rver 3.7.1 does not check; AWS does). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;
/**
 * The smallest part S3 takes: 10,000 of them hold 50 GB, more than any one target, and
 * every byte buffered for an upload is worker memory.
 */
export const DEFAULT_PART_SIZE = MIN_PART_SIZE;
/**
 * Parts in flight at once: with the part being filled, memory ≈ partSize × (queueSize + 1).
 * One is enough: a 5 MiB part uploads in a fraction of the time the sync takes to produce
 * the next (about a third of a CPU-second of COPY, encoding and deflate on this project's rows).
 */
export const DEFAULT_QUEUE_SIZE = 1;

export interface UploadConditions {
  /** Send `If-None-Match: *` (on the PUT or the CompleteMultipartUpload): never replace an object. */
  readonly ifNoneMatch?: boolean;
}

export interface StreamUploadInput {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly body: AsyncIterable<Uint8Array>;
  readonly partSize: number;
  readonly queueSize: number;
  readonly conditions?: UploadConditions;
  readonly metadata?: Record<string, string>;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Told when an abandoned multipart upload could not be aborted (its parts stay until a lifecycle rule removes them). */
  readonly onAbortFailure?: (uploadId: string, error: unknown) => void;
}

export interface StreamUploadResult {
  readonly key: string;
  readonly etag: string;
  readonly bytes: number;
  /** 0 for a single PUT. */
  readonly parts: number;
  /** Bytes of part buffers this upload allocated over its life (they are reused, so this never falls); at most `partSize × (queueSize + 1)`. */
  readonly peakBufferedBytes: number;
}

/**
 * Uploads a stream of unknown length: one PUT if it fits in one part, else a multipart
 * upload with at most `queueSize` parts in flight. Nothing is visible under `key` until the
 * upload completes; on any failure or abort the multipart upload is aborted.
 */
export async function uploadStream(input: StreamUploadInput): Promise<StreamUploadResult> {
  const { s3, bucket, key, partSize, queueSize, signal } = input;
  const send = { abortSignal: signal };
  // Part buffers whose upload succeeded are filled again instead of being dropped: a dropped
  // part buffer is external memory that stays resident until V8 happens to collect its
  // Buffer object, so a long upload would hold many more than `queueSize + 1` of them.
  const spare: Buffer[] = [];
  let allocated = 1;
  let part: Buffer = Buffer.allocUnsafe(partSize);
  let filled = 0;
  let peak = partSize;
  let bytes = 0;
  let uploadId: string | undefined;
  let partNumber = 0;
  const completed: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();

  const flushPart = async () => {
    if (uploadId === undefined) {
      const created = await s3.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, Metadata: input.metadata, ContentType: input.contentType }),
        send,
      );
      if (!created.UploadId) throw new Error(`CreateMultipartUpload for ${key} returned no UploadId`);
      uploadId = created.UploadId;
    }
    while (inFlight.size >= queueSize) await Promise.race(inFlight);
    if (++partNumber > MAX_PARTS) throw new Error(`${key} needs more than ${MAX_PARTS} parts: raise partSize (now ${partSize})`);
    const number = partNumber;
    const buffer = part;
    const body = buffer.subarray(0, filled);
    const upload: Promise<void> = s3
      .send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: number, Body: body }), send)
      .then((answer) => {
        completed.push({ PartNumber: number, ETag: answer.ETag });
        // The SDK is done with the body once the part is stored. After a failure the buffer
        // is not reused: the upload fails as a whole anyway.
        spare.push(buffer);
      })
      .finally(() => {
        inFlight.delete(upload);
      });
    // The loop observes failures through Promise.race/all; this keeps a second failing part from going unhandled.
    upload.catch(() => undefined);
    inFlight.add(upload);
    const reused = spare.pop();
    if (reused === undefined) allocated++;
    part = reused ?? Buffer.allocUnsafe(partSize);
    filled = 0;
    peak = Math.max(peak, allocated * partSize);
  };

  try {
    for await (const chunk of input.body) {
      signal?.throwIfAborted();
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(chunk.length - offset, partSize - filled);
        part.set(chunk.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        bytes += n;
        if (filled === partSize) await flushPart();
      }
    }
    signal?.throwIfAborted();
    if (uploadId === undefined) {
      const body = part.subarray(0, filled);
      const answer = await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          Metadata: input.metadata,
          ContentType: input.contentType,
          IfNoneMatch: input.conditions?.ifNoneMatch ? '*' : undefined,
        }),
        send,
      );
      return { key, etag: answer.ETag ?? '', bytes, parts: 0, peakBufferedBytes: peak };
    }
    if (filled > 0) await flushPart();
    await Promise.all(inFlight);
    signal?.throwIfAborted();
    completed.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    const answer = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
        IfNoneMatch: input.conditions?.ifNoneMatch ? '*' : undefined,
      }),
      send,
    );
    return { key, etag: answer.ETag ?? '', bytes, parts: completed.length, peakBufferedBytes: peak };
  } catch (error) {
    // Parts still in flight would land after the abort; wait for them to settle first.
    await Promise.allSettled(inFlight);
    await abortUpload(input, uploadId);
    throw error;
  }
}

async function abortUpload(input: StreamUploadInput, uploadId: string | undefined): Promise<void> {
  if (uploadId === undefined) return;
  try {
    await input.s3.send(new AbortMultipartUploadCommand({ Bucket: input.bucket, Key: input.key, UploadId: uploadId }));
  } catch (abortError) {
    input.onAbortFailure?.(uploadId, abortError);
  }
}
