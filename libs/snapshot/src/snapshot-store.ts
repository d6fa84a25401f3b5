import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { targetId, type Target, type Watermark } from '@storage-builder/data-model';
import { probeConditionalWrites, type ConditionalWriteSupport } from './conditional-write-probe';
import { DEFAULT_PART_SIZE, DEFAULT_QUEUE_SIZE, MIN_PART_SIZE, uploadStream, type StreamUploadInput, type StreamUploadResult } from './multipart-upload';
import { TRAILER_BYTES } from './format-constants';
import { checksumHex, isDataObjectKey } from './manifest';
import { isNotFound } from './s3-errors';

export const DEFAULT_KEY_PREFIX = 'snapshots';
/** S3's limit of keys in one DeleteObjects request. */
export const MAX_KEYS_PER_DELETE = 1000;

/** Where the store reports what it could not do but did not fail on (an abort S3 refused, a delete that failed). */
export interface SnapshotLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface SnapshotStoreOptions {
  /** The client to use; the caller owns it (and destroys it). */
  s3: S3Client;
  bucket: string;
  /**
   * Key prefix of every object: `<prefix>/client-42/raw-data/...`.
   * @defaultValue {@link DEFAULT_KEY_PREFIX}
   */
  prefix?: string;
  /**
   * Multipart part size in bytes, at least 5 MiB (S3's minimum for all parts but the last).
   * @defaultValue {@link DEFAULT_PART_SIZE}
   */
  partSize?: number;
  /**
   * Parts uploaded at once. Upload memory ≈ `partSize × (queueSize + 1)`.
   * @defaultValue {@link DEFAULT_QUEUE_SIZE}
   */
  queueSize?: number;
  /**
   * `'detect'` probes the store once (see `probeConditionalWrites`); `'none'` skips the
   * probe and treats the store as unable to enforce conditions.
   * @defaultValue `'detect'`
   */
  conditionalWrites?: 'detect' | 'none';
  /** @defaultValue warnings go to `console.warn` */
  logger?: SnapshotLogger;
  /** Waits before a manifest that could not be parsed is read once more; tests inject an instant one. @defaultValue `timers/promises` setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export type ResolvedSnapshotStoreOptions = Required<SnapshotStoreOptions>;

export function resolveSnapshotStoreOptions(options: SnapshotStoreOptions): ResolvedSnapshotStoreOptions {
  const resolved: ResolvedSnapshotStoreOptions = {
    s3: options.s3,
    bucket: options.bucket,
    prefix: options.prefix ?? DEFAULT_KEY_PREFIX,
    partSize: options.partSize ?? DEFAULT_PART_SIZE,
    queueSize: options.queueSize ?? DEFAULT_QUEUE_SIZE,
    conditionalWrites: options.conditionalWrites ?? 'detect',
    logger: options.logger ?? { warn: (message, fields) => console.warn(message, fields ?? {}) },
    sleep: options.sleep ?? ((ms) => sleepFor(ms)),
  };
  if (!resolved.s3) throw new Error('s3 is not set: pass an S3Client (see s3ClientConfig in @storage-builder/services)');
  if (!resolved.bucket) throw new Error('bucket is not set: pass the bucket that receives snapshots');
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(resolved.prefix)) {
    throw new Error(`prefix is ${JSON.stringify(resolved.prefix)}: use path segments of letters, digits, '.', '_' or '-', without leading or trailing '/'`);
  }
  if (!Number.isInteger(resolved.partSize) || resolved.partSize < MIN_PART_SIZE) {
    throw new Error(`partSize is ${resolved.partSize}: S3 requires at least ${MIN_PART_SIZE} bytes (5 MiB) per part`);
  }
  if (!Number.isInteger(resolved.queueSize) || resolved.queueSize < 1) {
    throw new Error(`queueSize is ${resolved.queueSize}: use a positive integer (default ${DEFAULT_QUEUE_SIZE})`);
  }
  return resolved;
}

/**
 * The object keys of one target. A data object's key names the manifest generation it was
 * written for, its watermarks, and the attempt that wrote it (see `attemptTag`), so no two
 * attempts write the same key and an object is never overwritten.
 */
export interface TargetKeys {
  /** Every object of the target starts with this. */
  readonly directory: string;
  readonly manifest: string;
  base(generation: number, watermark: Watermark, attempt: string): string;
  delta(generation: number, from: Watermark, to: Watermark, attempt: string): string;
}

/** One listed object. */
export interface ListedObject {
  readonly key: string;
  readonly bytes: number;
}

/** An object larger than its reader allows. */
export class ObjectTooLargeError extends Error {
  override readonly name = 'ObjectTooLargeError';
  constructor(
    readonly key: string,
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`${key} is ${bytes} bytes or more, over the ${maxBytes} bytes its reader allows`);
  }
}

/** S3 access for snapshots: keys, streaming uploads, reads and deletes, and what the store can enforce. */
export class SnapshotStore {
  readonly options: ResolvedSnapshotStoreOptions;
  private support: Promise<ConditionalWriteSupport> | undefined;

  constructor(options: SnapshotStoreOptions) {
    this.options = resolveSnapshotStoreOptions(options);
  }

  /** Where this store's snapshots go, as `s3://bucket/prefix`. */
  get location(): string {
    return `s3://${this.options.bucket}/${this.options.prefix}`;
  }

  keys(target: Target): TargetKeys {
    const dir = `${this.options.prefix}/${targetId(target)}`;
    const generation = (g: number) => `g${String(g).padStart(8, '0')}`;
    return {
      directory: `${dir}/`,
      manifest: `${dir}/manifest.json`,
      base: (g, watermark, attempt) => `${dir}/${generation(g)}-base-${watermark}-${attempt}.snap`,
      delta: (g, from, to, attempt) => `${dir}/${generation(g)}-delta-${from}-${to}-${attempt}.snap`,
    };
  }

  /** Probes once per store instance and remembers the answer; warns when writes cannot be guarded. */
  conditionalWrites(): Promise<ConditionalWriteSupport> {
    this.support ??= (async () => {
      const support =
        this.options.conditionalWrites === 'none'
          ? { ifNoneMatch: false, ifMatch: false }
          : await probeConditionalWrites(this.options.s3, this.options.bucket, this.options.prefix);
      if (!support.ifNoneMatch || !support.ifMatch) {
        this.options.logger.warn(
          'object store does not enforce conditional writes: manifest commits re-read the manifest inside the target lease instead (see docs/reliability.md)',
          { ...support, bucket: this.options.bucket },
        );
      }
      return support;
    })();
    this.support.catch(() => (this.support = undefined));
    return this.support;
  }

  upload(
    key: string,
    body: AsyncIterable<Uint8Array>,
    extra: Pick<StreamUploadInput, 'conditions' | 'signal' | 'metadata' | 'contentType'> = {},
  ): Promise<StreamUploadResult> {
    return uploadStream({
      s3: this.options.s3,
      bucket: this.options.bucket,
      key,
      body,
      partSize: this.options.partSize,
      queueSize: this.options.queueSize,
      ...extra,
      onAbortFailure: (uploadId, error) =>
        this.options.logger.warn('could not abort an unfinished multipart upload; an AbortIncompleteMultipartUpload lifecycle rule must remove its parts', {
          key,
          uploadId,
          error: error instanceof Error ? error.message : String(error),
        }),
    });
  }

  /** A small object in one PUT (the manifest). */
  async putSmall(key: string, body: string, conditions: { ifMatch?: string; ifNoneMatch?: boolean } = {}): Promise<string> {
    const answer = await this.options.s3.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        IfMatch: conditions.ifMatch,
        IfNoneMatch: conditions.ifNoneMatch ? '*' : undefined,
      }),
    );
    return answer.ETag ?? '';
  }

  /** The object's body and ETag, or `undefined` when the key does not exist. */
  async get(key: string, signal?: AbortSignal): Promise<{ body: Readable; etag: string; bytes: number | undefined } | undefined> {
    try {
      const answer = await this.options.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }), { abortSignal: signal });
      return { body: answer.Body as Readable, etag: answer.ETag ?? '', bytes: answer.ContentLength };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Bytes `start` to `end` (inclusive) of an object, read whole before they are returned, and
   * the object's ETag and size; with `ifMatch`, only of that version. `undefined` when the key
   * does not exist. Readers that fall idle between reads (a merge of many objects) read in
   * ranges: a GET left open while its reader waits would time out.
   */
  async getRange(key: string, start: number, end: number, options: { ifMatch?: string; signal?: AbortSignal } = {}): Promise<{ bytes: Buffer; etag: string; size: number } | undefined> {
    let answer;
    try {
      // An explicit start-end range: some S3-protocol servers (s3rver) misread suffix ranges.
      answer = await this.options.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key, Range: `bytes=${start}-${end}`, IfMatch: options.ifMatch }), {
        abortSignal: options.signal,
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of answer.Body as Readable) chunks.push(Buffer.from(chunk as Uint8Array));
    const bytes = Buffer.concat(chunks);
    // A server that ignores Range answers with the whole object and no Content-Range.
    const size = Number(/\/(\d+)$/.exec(answer.ContentRange ?? '')?.[1] ?? bytes.length);
    return { bytes, etag: answer.ETag ?? '', size };
  }

  /**
   * A small object as text. Past `maxBytes` it reads no further and throws
   * {@link ObjectTooLargeError}: whoever can write the bucket must not be able to make this
   * process hold an object of any size.
   */
  async getText(key: string, maxBytes = Number.POSITIVE_INFINITY): Promise<{ text: string; etag: string } | undefined> {
    const controller = new AbortController();
    const object = await this.get(key, controller.signal);
    if (!object) return undefined;
    if (object.bytes !== undefined && object.bytes > maxBytes) {
      controller.abort();
      object.body.destroy();
      throw new ObjectTooLargeError(key, object.bytes, maxBytes);
    }
    const chunks: Buffer[] = [];
    let read = 0;
    for await (const chunk of object.body) {
      read += (chunk as Uint8Array).length;
      if (read > maxBytes) {
        controller.abort();
        object.body.destroy();
        throw new ObjectTooLargeError(key, read, maxBytes);
      }
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
    return { text: Buffer.concat(chunks).toString('utf8'), etag: object.etag };
  }

  async head(key: string): Promise<{ etag: string; bytes: number } | undefined> {
    try {
      const answer = await this.options.s3.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return { etag: answer.ETag ?? '', bytes: answer.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The last `length` bytes of an object (a snapshot's trailer). */
  async tail(key: string, length: number): Promise<{ bytes: Buffer; etag: string } | undefined> {
    const head = await this.head(key);
    if (!head || head.bytes < length) return undefined;
    const range = await this.getRange(key, head.bytes - length, head.bytes - 1, { ifMatch: head.etag });
    return range && { bytes: range.bytes, etag: head.etag };
  }

  /** The checksum a snapshot object's trailer records (8 hex digits), or undefined when the object is missing or too short. */
  async trailerChecksum(key: string): Promise<string | undefined> {
    const trailer = await this.tail(key, TRAILER_BYTES);
    return trailer && checksumHex(trailer.bytes.readUInt32BE(TRAILER_BYTES - 4));
  }

  /** Every key under `prefix`. */
  async listKeys(prefix: string): Promise<string[]> {
    return (await this.listObjects(prefix)).map((object) => object.key);
  }

  /** Every object under `prefix` with its size. ListObjects (v1): some S3-protocol servers fail on V2 continuation tokens. */
  async listObjects(prefix: string): Promise<ListedObject[]> {
    const objects: ListedObject[] = [];
    for (let marker: string | undefined; ; ) {
      const page = await this.options.s3.send(new ListObjectsCommand({ Bucket: this.options.bucket, Prefix: prefix, Marker: marker }));
      objects.push(...(page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [{ key: object.Key, bytes: object.Size ?? 0 }])));
      if (!page.IsTruncated || objects.length === 0) return objects;
      marker = objects.at(-1)!.key;
    }
  }

  /**
   * Deletes data objects of `target`, in requests of at most {@link MAX_KEYS_PER_DELETE};
   * returns those deleted. A key that is not a data object in the target's directory is
   * refused and logged, whatever asked for it (a tampered manifest names other clients'
   * objects). Failures are logged, not thrown: an orphan costs storage, never correctness.
   */
  async deleteQuietly(target: Target, requested: readonly string[]): Promise<string[]> {
    const { directory } = this.keys(target);
    const keys = requested.filter((key) => isDataObjectKey(directory, key));
    if (keys.length < requested.length) {
      this.options.logger.warn('refused to delete objects that are not data objects of the target', { target: targetId(target), keys: requested.filter((key) => !keys.includes(key)) });
    }
    const deleted: string[] = [];
    for (let start = 0; start < keys.length; start += MAX_KEYS_PER_DELETE) {
      const chunk = keys.slice(start, start + MAX_KEYS_PER_DELETE);
      try {
        const answer = await this.options.s3.send(
          new DeleteObjectsCommand({ Bucket: this.options.bucket, Delete: { Objects: chunk.map((Key) => ({ Key })) } }),
        );
        for (const failure of answer.Errors ?? []) this.options.logger.warn('could not delete a replaced snapshot object', { key: failure.Key, error: failure.Message });
        const failed = new Set((answer.Errors ?? []).map((e) => e.Key));
        deleted.push(...chunk.filter((k) => !failed.has(k)));
      } catch (error) {
        this.options.logger.warn('could not delete replaced snapshot objects', { keys: chunk, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return deleted;
  }
}
