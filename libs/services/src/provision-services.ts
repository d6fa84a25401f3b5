import { provisionObjectStore, type ObjectStoreOptions } from './object-store-service';
import { provisionPostgres, type PostgresOptions } from './postgres-service';
import type { ProvisionOptions } from './provision-options';
import { provisionRedis } from './redis-service';
import { withReleaseOnFailure } from './release-stack';
import type { ObjectStoreService, PostgresService, RedisService, ServiceHandle } from './service-types';

export interface ServiceSetOptions extends ProvisionOptions {
  /** @defaultValue `true` */
  postgres?: boolean | Omit<PostgresOptions, keyof ProvisionOptions>;
  /** @defaultValue `true` */
  objectStore?: boolean | Omit<ObjectStoreOptions, keyof ProvisionOptions>;
  /** @defaultValue `false`: Redis is needed only by the Redis tracker and the distributed mode */
  redis?: boolean;
}

type Requested<O extends ServiceSetOptions, K extends 'postgres' | 'objectStore' | 'redis', S> = O[K] extends false
  ? undefined
  : S;

export type ServiceSet<O extends ServiceSetOptions = ServiceSetOptions> = AsyncDisposable & {
  postgres: Requested<O, 'postgres', PostgresService>;
  objectStore: Requested<O, 'objectStore', ObjectStoreService>;
  redis: O['redis'] extends true ? RedisService : RedisService | undefined;
  /** One line per service: which provider and why. */
  describe(): string[];
  stop(): Promise<void>;
};

/**
 * Provisions several services at once. If one fails, the ones already started are
 * stopped, last first, before the error is thrown.
 */
export async function provisionServices<O extends ServiceSetOptions>(options: O): Promise<ServiceSet<O>> {
  const { postgres = true, objectStore = true, redis = false, ...shared } = options;
  return withReleaseOnFailure(async (stack) => {
    const started: ServiceHandle[] = [];
    const track = <T extends ServiceHandle>(handle: T): T => {
      stack.push(handle.kind, () => handle.stop());
      started.push(handle);
      return handle;
    };
    const set = {
      postgres: postgres ? track(await provisionPostgres({ ...shared, ...(postgres === true ? {} : postgres) })) : undefined,
      objectStore: objectStore
        ? track(await provisionObjectStore({ ...shared, ...(objectStore === true ? {} : objectStore) }))
        : undefined,
      redis: redis ? track(await provisionRedis(shared)) : undefined,
      describe: () => started.map((h) => `${h.kind}: ${h.provider} (${h.reason})`),
      stop: () => stack.releaseAll(),
      [Symbol.asyncDispose]: () => stack.releaseAll(),
    };
    return set as unknown as ServiceSet<O>;
  });
}
