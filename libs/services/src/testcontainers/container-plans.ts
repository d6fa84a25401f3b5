/**
 * What each Testcontainers service runs. Image tags are pinned so runs are repeatable;
 * LocalStack stays on 4.x because its later images require an auth token.
 */
export const POSTGRES_CONTAINER = {
  image: 'postgres:16.10-alpine',
  port: 5432,
  database: 'storage_builder',
  username: 'storage_builder',
  password: 'storage_builder',
} as const;

export const LOCALSTACK_CONTAINER = {
  image: 'localstack/localstack:4.4.0',
  port: 4566,
  // Only S3 is needed; loading it eagerly makes the container ready when it reports so.
  environment: { SERVICES: 's3', EAGER_SERVICE_LOADING: '1' },
  region: 'us-east-1',
  accessKeyId: 'test',
  secretAccessKey: 'test',
} as const;

export const REDIS_CONTAINER = {
  image: 'redis:7.4.5-alpine',
  port: 6379,
} as const;

export const CONTAINER_PLANS = [POSTGRES_CONTAINER, LOCALSTACK_CONTAINER, REDIS_CONTAINER] as const;
