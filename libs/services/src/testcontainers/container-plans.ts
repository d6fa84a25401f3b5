import type { WantedImage } from '../docker-probe';
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

/**
 * Built by `npm run docker:images` (bench/docker/images) where the upstream images cannot be
 * pulled: Debian's PostgreSQL and Redis, and s3rver for S3, which LocalStack's image cannot
 * be built from Debian's or npm's packages to replace.
 */
export const STAND_IN_IMAGES = {
  debian: 'storage-builder/debian:bookworm',
  postgres: 'storage-builder/postgres:15-bookworm',
  redis: 'storage-builder/redis:7-bookworm',
  s3: 'storage-builder/s3rver:3.7.1',
} as const;

/** Set to run a service's container from this image alone (a mirror, say) instead of the upstream image or its stand-in. */
export const IMAGE_VARIABLE: Record<ServiceKind, string> = {
  postgres: 'POSTGRES_IMAGE',
  'object-store': 'S3_IMAGE',
  redis: 'REDIS_IMAGE',
};

const CANDIDATES: Record<ServiceKind, readonly string[]> = {
  postgres: [POSTGRES_CONTAINER.image, STAND_IN_IMAGES.postgres],
  'object-store': [LOCALSTACK_CONTAINER.image, STAND_IN_IMAGES.s3],
  redis: [REDIS_CONTAINER.image, STAND_IN_IMAGES.redis],
};

/**
 * The images a service's containers need, each as its alternatives, best first: the
 * service's own (the variable's image alone, else upstream, then stand-in) and the reaper's
 * unless `TESTCONTAINERS_RYUK_DISABLED=true`.
 */
export function containerImages(kind: ServiceKind, env: NodeJS.ProcessEnv): WantedImage[] {
  const named = env[IMAGE_VARIABLE[kind]];
  const service: WantedImage = named
    ? { alternatives: [named], fix: `pull ${named}, or unset ${IMAGE_VARIABLE[kind]}` }
    : { alternatives: CANDIDATES[kind], fix: `build the stand-ins with \`npm run docker:images\`, or pull ${CANDIDATES[kind][0]}` };
  if (env['TESTCONTAINERS_RYUK_DISABLED'] === 'true') return [service];
  const reaper = env['RYUK_CONTAINER_IMAGE'] || REAPER_IMAGE;
  return [service, { alternatives: [reaper], fix: `pull ${reaper}, or set TESTCONTAINERS_RYUK_DISABLED=true (containers are then removed only by their handles' stop)` }];
}

/** Whether `image` is LocalStack's, which the LocalStack module starts; any other S3 image runs as a generic container. */
export function isLocalStack(image: string): boolean {
  return /(^|\/)localstack\/localstack(:|@|$)/.test(image);
}
