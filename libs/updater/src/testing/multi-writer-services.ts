// The services the multi-writer check runs on, and how a seed removes what it put in them.
import { DeleteObjectsCommand, ListObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { provisionServices, type ObjectStoreService, type PostgresService, type RedisService } from '@storage-builder/services';
import { connectionOf, DEFAULT_QUEUE_NAME, resolveQueueSettings } from '../distributed/queue-settings';
import { errorMessage } from '../logger';

export interface MultiWriterServices {
  readonly postgres: PostgresService;
  readonly objectStore: ObjectStoreService;
  readonly redis: RedisService;
}

/** PostgreSQL, an object store with a bucket, and Redis for the whole series of seeds. */
export async function multiWriterServices(label: string): Promise<MultiWriterServices & { stop(): Promise<void> }> {
  const services = await provisionServices({ label, redis: true });
  return { postgres: services.postgres, objectStore: services.objectStore, redis: services.redis, stop: () => services.stop() };
}

/**
 * What a seed must undo, undone last first. Every step runs even when an earlier one fails,
 * and each failure is reported, not thrown: the report lists what the seed left behind.
 */
export class SeedCleanups {
  private readonly steps: Array<{ what: string; run: () => unknown }> = [];

  add(what: string, run: () => unknown): void {
    this.steps.push({ what, run });
  }

  /** Runs every step, the last added first; returns what failed, one line each. */
  async runAll(): Promise<string[]> {
    const errors: string[] = [];
    for (const step of this.steps.reverse()) {
      try {
        await step.run();
      } catch (error) {
        errors.push(`${step.what}: ${errorMessage(error)}`);
      }
    }
    return errors;
  }
}

/** Deletes every object under `prefix` (ListObjects v1: s3rver fails V2 continuation tokens). */
export async function deleteUnder(s3: S3Client, bucket: string, prefix: string): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) return;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
}

/** Removes the seed's queue: BullMQ's obliterate, then any key left under its prefix. */
export async function removeQueue(settings: { redisUrl: string; prefix: string }): Promise<void> {
  const resolved = resolveQueueSettings(settings);
  const queue = new Queue(DEFAULT_QUEUE_NAME, { connection: connectionOf(resolved), prefix: resolved.prefix });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
  const redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${settings.prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
