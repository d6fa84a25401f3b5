export { provisionPostgres } from './postgres-service';
export type { PostgresOptions } from './postgres-service';
export { provisionObjectStore } from './object-store-service';
export type { ObjectStoreOptions } from './object-store-service';
export { provisionRedis } from './redis-service';
export { provisionServices } from './provision-services';
export type { ServiceSet, ServiceSetOptions } from './provision-services';
export type { ProvisionOptions } from './provision-options';
export { chooseProvider, ENVIRONMENT_VARIABLE, PROVIDER_OVERRIDE_VARIABLE } from './provider-choice';
export type { ProviderChoice, ProviderFacts } from './provider-choice';
export { probeDocker } from './docker-probe';
export type { DockerProbeResult, WantedImage } from './docker-probe';
export { s3ClientConfig } from './s3-client-config';
export { ServiceUnavailableError } from './service-unavailable-error';
export { withReleaseOnFailure } from './release-stack';
export { makeTempDir, TEMP_DIR_PREFIX } from './local-resources';
export { redact } from './environment-settings';
export type {
  ObjectStoreConnection,
  ObjectStoreService,
  PostgresService,
  ProviderName,
  RedisService,
  ServiceHandle,
  ServiceKind,
} from './service-types';
export { CONTAINER_PLANS, LOCALSTACK_CONTAINER, POSTGRES_CONTAINER, REDIS_CONTAINER, STAND_IN_IMAGES } from './testcontainers/container-plans';
export { postgresBinariesDir } from './embedded/embedded-postgres-server';
