import pg from 'pg';
import { chooseFor, type EmbeddedAvailability } from './choose-for';
import { POSTGRES_BINARIES_PACKAGE, postgresBinariesDir, startEmbeddedPostgres } from './embedded/embedded-postgres-server';
import { DATABASE_URL_SCHEMES, readUrlVariable, redact } from './environment-settings';
import { uniqueSuffix } from './local-resources';
import { resolveProvisionOptions, type ProvisionOptions } from './provision-options';
import type { ReleaseStack } from '@storage-builder/resources';
import { withReleaseOnFailure } from './release-stack';
import { makeHandle } from './service-handle';
import type { PostgresService } from './service-types';
import type { ProviderChoice } from './provider-choice';
import { startPostgresContainer } from './testcontainers/start-containers';

export interface PostgresOptions extends ProvisionOptions {
  /**
   * Create a database for this handle alone and drop it on stop, so runs never share data.
   * With `false` the handle uses the server's database as it is.
   * @defaultValue `true`
   */
  isolate?: boolean;
}

/** Provides a PostgreSQL database: `DATABASE_URL`, else a Testcontainers container, else embedded. */
export async function provisionPostgres(options: PostgresOptions = {}): Promise<PostgresService> {
  const resolved = resolveProvisionOptions(options);
  const environmentUrl = readUrlVariable(resolved.env, 'DATABASE_URL', DATABASE_URL_SCHEMES);
  const choice = await chooseFor('postgres', resolved, environmentUrl !== undefined, embeddedPostgresAvailability);

  return withReleaseOnFailure(async (stack) => {
    const serverUrl = await startServer(choice, environmentUrl, stack);
    let url = serverUrl;
    if (options.isolate ?? true) {
      url = await createIsolatedDatabase(serverUrl, `sb_${resolved.label.replace(/-/g, '_')}_${uniqueSuffix()}`, stack);
    }
    const database = decodeURIComponent(new URL(url).pathname.slice(1));
    return makeHandle({ kind: 'postgres' as const, provider: choice.provider, reason: choice.reason, url, database }, stack);
  });
}

async function startServer({ provider, image }: ProviderChoice, environmentUrl: string | undefined, stack: ReleaseStack): Promise<string> {
  switch (provider) {
    case 'environment':
      return environmentUrl as string;
    case 'testcontainers': {
      const container = await startPostgresContainer(image!);
      stack.push(`container ${image}`, container.stop);
      return container.value;
    }
    case 'embedded': {
      const server = await startEmbeddedPostgres();
      stack.push('embedded PostgreSQL', server.stop);
      return server.adminUrl;
    }
  }
}

/** Creates `name` on the server of `serverUrl`, registers its drop, and returns its URL. */
async function createIsolatedDatabase(serverUrl: string, name: string, stack: ReleaseStack): Promise<string> {
  await withClient(serverUrl, async (client) => {
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } catch (error) {
      throw new Error(
        `could not create database ${name} on ${redact(serverUrl)}: ${(error as Error).message}. ` +
          'Give the role CREATEDB, or provision with isolate: false to use the database in the URL as it is.',
      );
    }
  });
  stack.push(`database ${name}`, () =>
    withClient(serverUrl, async (client) => {
      // FORCE ends sessions a test left open, so a leaked connection cannot keep the database alive.
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }),
  );
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function embeddedPostgresAvailability(): EmbeddedAvailability {
  return postgresBinariesDir() === undefined
    ? { available: false, detail: `${POSTGRES_BINARIES_PACKAGE} is not installed (run npm ci on this platform)` }
    : { available: true, detail: `${POSTGRES_BINARIES_PACKAGE} is installed` };
}
