import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { makeTempDir } from '../local-resources';
import type { ObjectStoreConnection } from '../service-types';

/** The part of s3rver's API used here; s3rver ships no type declarations. */
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  vhostBuckets: boolean;
}) => S3rverServer;
const requireS3rver = createRequire(import.meta.url);
const S3rver = requireS3rver('s3rver') as S3rverConstructor;

/** The part of s3rver's filesystem store that a PUT goes through. */
interface S3rverStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  putObject(object: { bucket: string; key: string; content: Buffer | Readable; metadata: unknown }): Promise<{ size: number; md5: string }>;
}

/**
 * s3rver 3.7.1 answers a PUT before the object is on disk (it ends the file's write stream
 * without waiting for it), so two PUTs of one key in quick succession (a manifest commit,
 * then a compaction's) can interleave and leave a mix of both, and a GET can read half an
 * object. S3 replaces an object whole; so does the embedded store: the body goes to a file
 * of its own, renamed over the object's before the PUT is answered.
 */
function replaceObjectsWhole(): void {
  const store = (requireS3rver('s3rver/lib/stores/filesystem.js') as { prototype: S3rverStore }).prototype;
  store.putObject = async function (this: S3rverStore, object) {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(path.dirname(objectPath), { recursive: true });
    const partial = `${objectPath}.${randomUUID()}.partial`;
    const md5 = createHash('md5');
    let size = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        md5.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    try {
      await pipeline(Buffer.isBuffer(object.content) ? [object.content] : object.content, counted, createWriteStream(partial));
      await rename(partial, objectPath);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    const digest = md5.digest('hex');
    await this.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
}
replaceObjectsWhole();

/** s3rver checks signatures against this fixed key pair. */
const S3RVER_KEY = 'S3RVER';

export interface RunningObjectStore {
  connection: ObjectStoreConnection;
  stop: () => Promise<void>;
}

/** Starts s3rver, an S3-protocol server written in Node, in this process, on a free loopback port. */
export async function startEmbeddedObjectStore(): Promise<RunningObjectStore> {
  const directory = await makeTempDir('s3');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: directory.path,
    vhostBuckets: false,
  });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (error) {
    await directory.remove();
    throw new Error(`embedded object store (s3rver) did not start: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    connection: {
      endpoint: `http://127.0.0.1:${address.port}`,
      region: 'us-east-1',
      accessKeyId: S3RVER_KEY,
      secretAccessKey: S3RVER_KEY,
    },
    stop: async () => {
      await server.close();
      await directory.remove();
    },
  };
}
