import { spawnSync } from 'node:child_process';

export function psqlAvailable(): boolean {
  return spawnSync('psql', ['--version']).status === 0;
}

/** What `psql -c <copy>` prints for a `COPY ... TO STDOUT`: the server's bytes, read by something other than this code. */
export function psqlCopy(url: string, copy: string): Buffer {
  const psql = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', copy], {
    env: { ...process.env, PGCLIENTENCODING: 'UTF8' },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (psql.status !== 0) throw new Error(`psql exited with ${psql.status}: ${psql.stderr.toString()}`);
  return psql.stdout;
}
