import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { TEMP_DIR_PREFIX } from '../local-resources';
import { postgresBinariesDir, startEmbeddedPostgres } from './embedded-postgres-server';

const run = promisify(execFile);

async function query(url: string, sql: string): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows[0] as Record<string, unknown>;
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL', () => {
  it('starts, answers on its loopback port, and leaves nothing behind when stopped', async () => {
    const server = await startEmbeddedPostgres();
    try {
      expect(await query(server.adminUrl, 'select 1 + 1 as two')).toEqual({ two: 2 });
    } finally {
      await server.stop();
    }
    await expect(query(server.adminUrl, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
  });

  // A checkout under root's home (mode 0700) is what a new user running as root in a container has.
  it.runIf(userInfo().uid === 0)('runs as root from binaries in a folder the postgres user cannot enter', async () => {
    const locked = await mkdtemp(path.join(tmpdir(), `${TEMP_DIR_PREFIX}locked-checkout-`));
    try {
      expect((await stat(locked)).mode & 0o777).toBe(0o700);
      const binaries = path.join(locked, 'node_modules', 'native');
      await cp(postgresBinariesDir()!, binaries, { recursive: true, verbatimSymlinks: true });
      // The condition itself: the postgres user cannot run them where they are.
      const uid = Number((await run('id', ['-u', 'postgres']).catch(() => ({ stdout: '-1' }))).stdout);
      if (uid >= 0) await expect(run(path.join(binaries, 'bin', 'postgres'), ['--version'], { uid })).rejects.toThrow(/EACCES/);
      const server = await startEmbeddedPostgres({ binaries });
      try {
        expect(await query(server.adminUrl, "select current_user as who, current_setting('server_version_num')::int >= 160000 as recent")).toEqual({ who: 'postgres', recent: true });
      } finally {
        await server.stop();
      }
    } finally {
      await rm(locked, { recursive: true, force: true });
    }
  });
});
