// One-shot runs: `node apps/worker/dist/cli.mjs <command>` (the bundle), or from the sources `node --import tsx apps/worker/src/cli.ts <command>`. Exit codes: 0 ok, 1 some targets failed, 2 bad input.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SnapshotStore } from '@storage-builder/snapshot';
import { createSourcePool, migrate, parseDataProfile, seedDatabase } from '@storage-builder/source-db';
import { StorageUpdater, errorMessage, sourceConnectionsFor, type RunSummary } from '@storage-builder/updater';
import type pg from 'pg';
import { PostgresVersionTracker, RedisVersionTracker, type VersionTracker } from '@storage-builder/version-tracker';
import { createS3Client } from './app/s3-client';
import { CLI_USAGE, parseCliArgs, UsageError, type CliCommand } from './cli/cli-args';
import { progressReporter, verifyReport } from './cli/progress-reporter';
import { processLogger } from './config/process-logger';
import { redactUrlsIn } from './config/redact';
import { ConfigError, parseDatabaseUrl, parseWorkerConfig } from './config/worker-config';

export const EXIT_OK = 0;
export const EXIT_TARGETS_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

const PROFILES_DIR = fileURLToPath(new URL('../../../load-profiles/data/', import.meta.url));
/** The CLI has no HTTP API; the worker's token rule must not stop it. */
const CLI_TOKEN_PLACEHOLDER = 'cli-does-not-serve-http-0000';

async function loadProfile(nameOrFile: string) {
  const file = /[/\\]|\.json$/.test(nameOrFile) ? nameOrFile : path.join(PROFILES_DIR, `${nameOrFile}.json`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`--profile ${nameOrFile}: ${file} cannot be read; use a file or a name in load-profiles/data/`);
  }
  try {
    return parseDataProfile(JSON.parse(text), path.basename(file));
  } catch (error) {
    throw new UsageError(`--profile ${nameOrFile}: ${errorMessage(error)}`);
  }
}

async function run(command: Exclude<CliCommand, { name: 'help' }>): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, CONTROL_TOKEN: process.env['CONTROL_TOKEN'] || CLI_TOKEN_PLACEHOLDER };
  if (command.name === 'migrate' || command.name === 'seed') {
    const databaseUrl = parseDatabaseUrl(env);
    const profile = command.name === 'seed' ? await loadProfile(command.profile) : undefined;
    const pool = createSourcePool({ connectionString: databaseUrl, max: 2 });
    try {
      const migrated = await migrate(pool);
      process.stdout.write(`migrated: ${JSON.stringify(migrated)}\n`);
      if (profile) process.stdout.write(`seeded: ${JSON.stringify(await seedDatabase(pool, profile))}\n`);
      return EXIT_OK;
    } finally {
      await pool.end();
    }
  }

  const config = parseWorkerConfig(env);
  const logger = processLogger(config, 'warn', (line) => process.stderr.write(`${line}\n`));
  const pool = createSourcePool({ connectionString: config.databaseUrl, max: sourceConnectionsFor(config.parallelism) });
  const s3 = createS3Client(config.s3);
  let tracker: VersionTracker | undefined;
  if (config.tracker === 'redis') tracker = new RedisVersionTracker({ redis: config.redisUrl! });
  if (config.tracker === 'postgres') tracker = new PostgresVersionTracker({ database: pool });
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const updater = new StorageUpdater({
      source: pool,
      store: new SnapshotStore({ s3, bucket: config.s3.bucket, prefix: config.s3.prefix, logger: { warn: (message, fields) => logger.log('warn', message, fields) } }),
      tracker,
      serializer: config.serializer,
      compression: config.compression,
      parallelism: config.parallelism,
      incremental: config.incremental,
      leaseTtlMs: config.leaseTtlSeconds * 1000,
      whenHeld: 'wait' in command && command.wait ? 'wait' : 'skip',
      logger,
      onProgress: progressReporter({ isTTY: process.stdout.isTTY === true, write: (text) => process.stdout.write(text) }),
    });
    if (command.name === 'verify') {
      if (command.clientId !== undefined) await assertClientExists(pool, command.clientId);
      const verified = await updater.verify({ clientId: command.clientId, heal: command.heal, depth: command.depth, signal: abort.signal });
      process.stdout.write(verifyReport(verified));
      return verified.broken > 0 || verified.held > 0 ? EXIT_TARGETS_FAILED : EXIT_OK;
    }
    let summary: RunSummary;
    if (command.name === 'update') {
      await assertClientExists(pool, command.clientId);
      summary = await updater.update(command.clientId, { signal: abort.signal });
    } else {
      summary = await updater.updateAll({ signal: abort.signal });
    }
    return summary.failed > 0 || summary.aborted > 0 || summary.skipped > 0 ? EXIT_TARGETS_FAILED : EXIT_OK;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await tracker?.stop();
    s3.destroy();
    await pool.end();
  }
}

async function assertClientExists(pool: pg.Pool, clientId: number): Promise<void> {
  const { rowCount } = await pool.query('SELECT 1 FROM clients WHERE id = $1', [clientId]);
  if (rowCount === 0) throw new UsageError(`--client ${clientId} is not in the source's clients table`);
}

async function main(): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${errorMessage(error)}\n${CLI_USAGE}\n`);
    return EXIT_BAD_INPUT;
  }
  if (command.name === 'help') {
    process.stdout.write(`${CLI_USAGE}\n`);
    return EXIT_OK;
  }
  try {
    return await run(command);
  } catch (error) {
    process.stderr.write(`${redactUrlsIn(errorMessage(error))}\n`);
    return error instanceof UsageError || error instanceof ConfigError ? EXIT_BAD_INPUT : EXIT_TARGETS_FAILED;
  }
}

process.exitCode = await main();
