import pg from 'pg';

/**
 * Readiness of the source database: `SELECT 1` on a connection of its own, so the check never
 * waits behind the run's pool, and is closed at once when `signal` aborts (a time-out), so
 * a database that hangs leaves nothing behind.
 */
export async function checkDatabase(connectionString: string, signal: AbortSignal): Promise<void> {
  const client = new pg.Client({ connectionString });
  // A connection error after the check gave up must not become an unhandled 'error' event.
  client.on('error', () => undefined);
  const close = () => void client.end().catch(() => undefined);
  signal.addEventListener('abort', close, { once: true });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    signal.removeEventListener('abort', close);
    close();
  }
}
