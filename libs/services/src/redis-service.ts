import { Redis } from 'ioredis';
import { chooseFor } from './choose-for';
import { findRedisServer, startEmbeddedRedis } from './embedded/embedded-redis';
import { readUrlVariable, REDIS_URL_SCHEMES } from './environment-settings';
import { uniqueSuffix } from './local-resources';
import { resolveProvisionOptions, type ProvisionOptions } from './provision-options';
import { withReleaseOnFailure } from './release-stack';
import { makeHandle } from './service-handle';
import type { RedisService } from './service-types';
import { startRedisContainer } from './testcontainers/start-containers';

/** Provides Redis: `REDIS_URL`, else a Testcontainers container, else `redis-server` from PATH. */
export async function provisionRedis(options: ProvisionOptions = {}): Promise<RedisService> {
  const resolved = resolveProvisionOptions(options);
  const environmentUrl = readUrlVariable(resolved.env, 'REDIS_URL', REDIS_URL_SCHEMES);
  const binary = findRedisServer(resolved.env);
  const choice = await chooseFor('redis', resolved, environmentUrl !== undefined, () =>
    binary
      ? { available: true, detail: `${binary} is on PATH` }
      : { available: false, detail: 'no redis-server on PATH; install Redis (for example apt-get install redis-server)' },
  );
  const keyPrefix = `sb:${resolved.label}:${uniqueSuffix()}:`;

  return withReleaseOnFailure(async (stack) => {
    let url: string;
    switch (choice.provider) {
      case 'environment':
        url = environmentUrl as string;
        // A shared server: remove only this handle's keys.
        stack.push(`keys ${keyPrefix}*`, () => deleteKeysWithPrefix(url, keyPrefix));
        break;
      case 'testcontainers': {
        const container = await startRedisContainer(choice.image!);
        stack.push(`container ${choice.image}`, container.stop);
        url = container.value;
        break;
      }
      case 'embedded': {
        const server = await startEmbeddedRedis(binary as string);
        stack.push('embedded Redis', server.stop);
        url = server.url;
        break;
      }
    }
    return makeHandle({ kind: 'redis' as const, provider: choice.provider, reason: choice.reason, url, keyPrefix }, stack);
  });
}

async function deleteKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
