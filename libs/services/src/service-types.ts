import type { S3ClientConfig } from '@aws-sdk/client-s3';

/** The three kinds of service the project talks to. */
export type ServiceKind = 'postgres' | 'object-store' | 'redis';

/**
 * Where a service came from:
 * - `environment`: a URL the user set (`DATABASE_URL`, `S3_ENDPOINT`, `REDIS_URL`);
 * - `testcontainers`: a container started on a reachable Docker engine;
 * - `embedded`: a process started from npm-shipped binaries or from PATH.
 */
export type ProviderName = 'environment' | 'testcontainers' | 'embedded';

/** A provisioned service. `stop()` is safe to call twice; `await using` calls it. */
export interface ServiceHandle extends AsyncDisposable {
  readonly kind: ServiceKind;
  readonly provider: ProviderName;
  /** Why this provider was chosen, for logs and reports. */
  readonly reason: string;
  stop(): Promise<void>;
}

export interface PostgresService extends ServiceHandle {
  readonly kind: 'postgres';
  /** Connection string of a database that belongs to this handle alone (unless `isolate: false`). */
  readonly url: string;
  readonly database: string;
}

export interface ObjectStoreConnection {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface ObjectStoreService extends ServiceHandle {
  readonly kind: 'object-store';
  readonly connection: ObjectStoreConnection;
  /** A bucket that belongs to this handle alone (unless one was named in the options). */
  readonly bucket: string;
  /** Settings for `new S3Client(...)` that work against every supported store. */
  readonly clientConfig: S3ClientConfig;
}

export interface RedisService extends ServiceHandle {
  readonly kind: 'redis';
  readonly url: string;
  /** Prefix for every key this handle's user writes; keys under it are removed on stop. */
  readonly keyPrefix: string;
}
