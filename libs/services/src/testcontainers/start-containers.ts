// Runs only where a Docker engine holds or can pull the images (chooseFor asks it first):
// the upstream images where a registry answers, else the stand-ins `npm run docker:images`
// builds. The image each service ran is in its handle's reason.
import type { ObjectStoreConnection } from '../service-types';
import { isLocalStack, LOCALSTACK_CONTAINER, POSTGRES_CONTAINER } from './container-plans';

export interface StartedContainerService<T> {
  value: T;
  stop: () => Promise<void>;
}

export async function startPostgresContainer(image: string): Promise<StartedContainerService<string>> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer(image)
    .withDatabase(POSTGRES_CONTAINER.database)
    .withUsername(POSTGRES_CONTAINER.username)
    .withPassword(POSTGRES_CONTAINER.password)
    .start();
  return { value: container.getConnectionUri(), stop: async () => void (await container.stop()) };
}

/** s3rver (the stand-in) accepts this key pair, as the embedded one does. */
const S3RVER_KEY = 'S3RVER';

export async function startObjectStoreContainer(image: string): Promise<StartedContainerService<ObjectStoreConnection>> {
  if (isLocalStack(image)) {
    const { LocalstackContainer } = await import('@testcontainers/localstack');
    const container = await new LocalstackContainer(image).withEnvironment({ ...LOCALSTACK_CONTAINER.environment }).start();
    return {
      value: { endpoint: container.getConnectionUri(), region: LOCALSTACK_CONTAINER.region, accessKeyId: LOCALSTACK_CONTAINER.accessKeyId, secretAccessKey: LOCALSTACK_CONTAINER.secretAccessKey },
      stop: async () => void (await container.stop()),
    };
  }
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(image).withExposedPorts(LOCALSTACK_CONTAINER.port).withWaitStrategy(Wait.forListeningPorts()).start();
  return {
    value: {
      endpoint: `http://${container.getHost()}:${container.getMappedPort(LOCALSTACK_CONTAINER.port)}`,
      region: LOCALSTACK_CONTAINER.region,
      accessKeyId: S3RVER_KEY,
      secretAccessKey: S3RVER_KEY,
    },
    stop: async () => void (await container.stop()),
  };
}

export async function startRedisContainer(image: string): Promise<StartedContainerService<string>> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer(image).start();
  return { value: container.getConnectionUrl(), stop: async () => void (await container.stop()) };
}
