import type { ServiceKind } from '../service-types';

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

/**
 * The container Testcontainers starts first to remove the others when the process ends
 * (testcontainers 11.14.0's `REAPER_IMAGE`, which the package does not export;
 * container-plans.test.ts checks the two agree).
 */
export const REAPER_IMAGE = 'testcontainers/ryuk:0.14.0';

const SERVICE_IMAGES: Record<ServiceKind, string> = {
  postgres: POSTGRES_CONTAINER.image,
  'object-store': LOCALSTACK_CONTAINER.image,
  redis: REDIS_CONTAINER.image,
};

/** The images a service's containers need: its own, and the reaper's unless `TESTCONTAINERS_RYUK_DISABLED=true`. */
export function containerImages(kind: ServiceKind, env: NodeJS.ProcessEnv): string[] {
  const reaper = env['TESTCONTAINERS_RYUK_DISABLED'] === 'true' ? [] : [env['RYUK_CONTAINER_IMAGE'] || REAPER_IMAGE];
  return [SERVICE_IMAGES[kind], ...reaper];
}
