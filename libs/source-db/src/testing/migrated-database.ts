import type pg from 'pg';
import { provisionPostgres } from '@storage-builder/services';
import { migrate } from '../migrate';
import { createSourcePool } from '../source-pool';

/** A database of its own (DATABASE_URL or embedded), migrated, with a pool; disposing ends both. */
export interface MigratedDatabase extends AsyncDisposable {
  readonly url: string;
  readonly pool: pg.Pool;
}

const POOL_END_TIMEOUT_MS = 5_000;

export async function migratedDatabase(label: string, options: { migrated?: boolean } = {}): Promise<MigratedDatabase> {
  const handle = await provisionPostgres({ label });
  const pool = createSourcePool({ connectionString: handle.url, max: 6 });
  try {
    if (options.migrated ?? true) await migrate(pool);
  } catch (error) {
    await pool.end();
    await handle.stop();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    url: handle.url,
    pool,
    [Symbol.asyncDispose]: () =>
      (stopped ??= (async () => {
        // pool.end() waits for checked-out connections; a failed test can leave one out
        // (an open transaction), so wait a bounded time, then drop the database anyway:
        // the drop ends leftover sessions.
        pool.on('error', () => undefined);
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, POOL_END_TIMEOUT_MS)));
        try {
          await Promise.race([pool.end(), timeout]);
        } finally {
          clearTimeout(timer);
          await handle.stop();
        }
      })()),
  };
}
