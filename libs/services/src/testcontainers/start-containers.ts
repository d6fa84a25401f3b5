// Runs only where a Docker engine answers. The project's own development and CI machines
// have none, so this file is type-checked and its plans unit-tested there, not run.
import type { ObjectStoreConnection } from '../service-types';
import { LOCALSTACK_CONTAINER, POSTGRES_CONTAINER, REDIS_CONTAINER } from './container-plans';

export interface StartedContainerService<T> {
  value: T;
  stop: () => Promise<void>;
}

export async function startPostgresContainer(): Promise<StartedContainerService<string>> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer(POSTGRES_CONTAINER.image)
    .withDatabase(POSTGRES_CONTAINER.database)
    .withUsername(POSTGRES_CONTAINER.username)
    .withPassword(POSTGRES_CONTAINER.password)
    .start();
  return { value: container.getConnectionUri(), stop: async () => void (await container.stop()) };
}

export async function startObjectStoreContainer(): Promise<StartedContainerService<ObjectStoreConnection>> {
  const { LocalstackContainer } = await import('@testcontainers/localstack');
  const container = await new LocalstackContainer(LOCALSTACK_CONTAINER.image)
    .withEnvironment({ ...LOCALSTACK_CONTAINER.environment })
    .start();
  return {
    value: {
      endpoint: container.getConnectionUri(),
      region: LOCALSTACK_CONTAINER.region,
      accessKeyId: LOCALSTACK_CONTAINER.accessKeyId,
      secretAccessKey: LOCALSTACK_CONTAINER.secretAccessKey,
    },
    stop: async () => void (await container.stop()),
  };
}

export async function startRedisContainer(): Promise<StartedContainerService<string>> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer(REDIS_CONTAINER.image).start();
  return { value: container.getConnectionUrl(), stop: async () => void (await container.stop()) };
}
