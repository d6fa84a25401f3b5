// One-shot runs: `node apps/worker/dist/cli.mjs <command>` (the bundle), or from the sources `node --import tsx apps/worker/src/cli.ts <command>`. Exit codes: 0 ok, 1 some targets failed, 2 bad input.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSourcePool, migrate, parseDataProfile, seedDatabase } from '@storage-builder/source-db';
import { UnknownClientError, errorMessage } from '@storage-builder/updater';
import { openWorkerRuntime } from './app/worker-runtime';
import { CLI_USAGE, parseCliArgs, UsageError, type CliCommand } from './cli/cli-args';
import { progressReporter, verifyReport } from './cli/progress-reporter';
import { processLogger } from './config/process-logger';
import { redactUrlsIn } from './config/redact';
import { ConfigError, parseDatabaseUrl, parseRuntimeConfig } from './config/worker-config';

export const EXIT_OK = 0;
export const EXIT_TARGETS_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

const PROFILES_DIR = fileURLToPath(new URL('../../../load-profiles/data/', import.meta.url));

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
  if (command.name === 'migrate' || command.name === 'seed') {
    const databaseUrl = parseDatabaseUrl(process.env);
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

  const config = parseRuntimeConfig(process.env);
  const logger = processLogger(config, 'warn', (line) => process.stderr.write(`${line}\n`));
  await using runtime = openWorkerRuntime(config, { logger });
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const updater = runtime.updater({
      whenHeld: 'wait' in command && command.wait ? 'wait' : 'skip',
      onProgress: progressReporter({ isTTY: process.stdout.isTTY === true, write: (text) => process.stdout.write(text) }),
    });
    if (command.name === 'verify') {
      const verified = await updater.verify({ clientId: command.clientId, heal: command.heal, depth: command.depth, signal: abort.signal });
      process.stdout.write(verifyReport(verified));
      return verified.broken > 0 || verified.held > 0 ? EXIT_TARGETS_FAILED : EXIT_OK;
    }
    const summary = command.name === 'update' ? await updater.update(command.clientId, { signal: abort.signal }) : await updater.updateAll({ signal: abort.signal });
    return summary.failed > 0 || summary.aborted > 0 || summary.skipped > 0 ? EXIT_TARGETS_FAILED : EXIT_OK;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
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
    if (error instanceof UnknownClientError) {
      process.stderr.write(`--client ${error.clientId} is not in the source's clients table\n`);
      return EXIT_BAD_INPUT;
    }
    process.stderr.write(`${redactUrlsIn(errorMessage(error))}\n`);
    return error instanceof UsageError || error instanceof ConfigError ? EXIT_BAD_INPUT : EXIT_TARGETS_FAILED;
  }
}

process.exitCode = await main();
