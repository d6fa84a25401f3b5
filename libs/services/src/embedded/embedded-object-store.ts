import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { makeTempDir } from '../local-resources';
import type { ObjectStoreConnection } from '../service-types';

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
    address = (await server.run()) as AddressInfo;
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
