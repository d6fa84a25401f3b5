import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
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
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

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
