// The CLI builds its runtime as the worker does (worker-runtime.ts), so it honours every
// variable the worker does: here TRACKER_KEY_PREFIX, read back from Redis directly.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionServices } from '@storage-builder/services';
import { runCommand } from '@storage-builder/services/testing';
import { createSourcePool, migrate, parseDataProfile, seedDatabase } from '@storage-builder/source-db';
import { DATA_KINDS } from '@storage-builder/data-model';
import { workerEnv } from './testing/worker-fixture';
import { baseEnv, CLI } from './testing/worker-process';

let services: Awaited<ReturnType<typeof provisionServices>>;
let redis: Redis;

beforeAll(async () => {
  services = await provisionServices({ label: 'cli-tracker', redis: true });
  const pool = createSourcePool({ connectionString: services.postgres.url, max: 2 });
  try {
    await migrate(pool);
    await seedDatabase(pool, parseDataProfile({ clients: 1, rows: { rawData: 30, entities: 3, dataItems: 3, formulas: 3, formulaAssociations: 3 }, rawDataSkew: 1, textWidth: 8, seed: 11 }));
  } finally {
    await pool.end();
  }
  redis = new Redis(services.redis!.url);
});
afterAll(async () => {
  redis?.disconnect();
  await services?.stop();
});

describe('the CLI with TRACKER=redis', () => {
  it('writes the saved versions under TRACKER_KEY_PREFIX, as the worker does', async () => {
    const prefix = `${services.redis!.keyPrefix}cli-prefix:`;
    const result = await runCommand(process.execPath, ['--import', 'tsx', CLI, 'update', '--client', '1'], {
      env: { ...baseEnv(), ...workerEnv(services, { TRACKER: 'redis', TRACKER_KEY_PREFIX: prefix }) },
    });
    expect(result.code, result.stderr).toBe(0);
    const keys = (await redis.keys(`${prefix}*`)).sort();
    expect(keys).toEqual(DATA_KINDS.map((kind) => `${prefix}client-1/${kind}`).sort());
  });
});
