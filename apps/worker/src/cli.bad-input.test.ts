// The CLI on bad input, against real services: exit code 2, a message naming the flag, file,
// field or variable, and nothing written (no table created, no object in the bucket).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionServices } from '@storage-builder/services';
import { runCommand, type CommandResult } from '@storage-builder/services/testing';
import { migrate, parseDataProfile, seedDatabase } from '@storage-builder/source-db';
import { workerEnv } from './testing/worker-fixture';
import { baseEnv, CLI } from './testing/worker-process';

const EXIT_BAD_INPUT = 2;
const dir = mkdtempSync(path.join(tmpdir(), 'cli-bad-input-'));
let services: Awaited<ReturnType<typeof provisionServices>>;
let pool: pg.Pool;
let s3: S3Client;

beforeAll(async () => {
  services = await provisionServices({ label: 'cli-bad-input', redis: false });
  pool = new pg.Pool({ connectionString: services.postgres.url, max: 2 });
  s3 = new S3Client(services.objectStore.clientConfig);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  s3?.destroy();
  await pool?.end();
  await services?.stop();
});

function cli(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  return runCommand(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...baseEnv(), ...workerEnv(services, extra) } });
}

function file(name: string, text: string): string {
  const at = path.join(dir, name);
  writeFileSync(at, text);
  return at;
}

const tables = async () => (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'")).rows[0]!.n;
const objects = async () => (await s3.send(new ListObjectsV2Command({ Bucket: services.objectStore.bucket }))).KeyCount ?? 0;

describe('the CLI with bad input', () => {
  it('refuses a bad profile file or DATABASE_URL before it migrates or seeds anything', async () => {
    const notJson = file('not-json.json', '{"clients": 2,');
    const badField = file('bad-field.json', JSON.stringify({ clients: 2, rows: { rawData: 10, entities: 1, dataItems: 1, formulas: 1, formulaAssociations: -1 }, rawDataSkew: 0.5, textWidth: 8, seed: 1 }));
    const [json, field, url, missing] = await Promise.all([
      cli(['seed', '--profile', notJson]),
      cli(['seed', '--profile', badField]),
      cli(['migrate'], { DATABASE_URL: 'mysql://app:hunter22@127.0.0.1/source' }),
      cli(['seed', '--profile', path.join(dir, 'absent.json')]),
    ]);
    expect(json.code, json.stderr).toBe(EXIT_BAD_INPUT);
    expect(json.stderr).toContain(`--profile ${notJson}: `);
    expect(json.stderr).toMatch(/JSON/);
    expect(field.code, field.stderr).toBe(EXIT_BAD_INPUT);
    expect(field.stderr).toContain(`--profile ${badField}: bad-field.json.rows.formulaAssociations must be a non-negative integer, got -1`);
    expect(url.code, url.stderr).toBe(EXIT_BAD_INPUT);
    expect(url.stderr).toContain('DATABASE_URL uses mysql://: set it to postgres://');
    expect(url.stderr).not.toContain('hunter22');
    expect(missing.code, missing.stderr).toBe(EXIT_BAD_INPUT);
    expect(missing.stderr).toMatch(/--profile .*absent\.json: .* cannot be read; use a file or a name in load-profiles\/data\//);
    for (const run of [json, field, url, missing]) expect(run.stdout).not.toMatch(/migrated|seeded/);
    expect(await tables()).toBe(0);
  });

  it('refuses an unknown client or a bad variable of an update before it writes to the bucket', async () => {
    await migrate(pool);
    await seedDatabase(pool, parseDataProfile({ clients: 2, rows: { rawData: 20, entities: 2, dataItems: 2, formulas: 2, formulaAssociations: 2 }, rawDataSkew: 0.5, textWidth: 8, seed: 3 }));
    const [unknown, prefix, serializer, tooLarge] = await Promise.all([
      cli(['update', '--client', '999']),
      cli(['update-all'], { S3_PREFIX: '/snapshots' }),
      cli(['update', '--client', '1'], { SERIALIZER: 'fastest' }),
      cli(['update', '--client', '9999999999']),
    ]);
    expect(unknown.code, unknown.stderr).toBe(EXIT_BAD_INPUT);
    expect(unknown.stderr).toContain("--client 999 is not in the source's clients table");
    expect(prefix.code, prefix.stderr).toBe(EXIT_BAD_INPUT);
    expect(prefix.stderr).toContain('S3_PREFIX is "/snapshots"');
    expect(serializer.code, serializer.stderr).toBe(EXIT_BAD_INPUT);
    expect(serializer.stderr).toContain('SERIALIZER is "fastest": set it to one of legacy, batched, streaming');
    expect(tooLarge.code, tooLarge.stderr).toBe(EXIT_BAD_INPUT);
    expect(tooLarge.stderr).toContain('--client is "9999999999": pass a positive integer client id (at most 2147483647)');
    expect(await objects()).toBe(0);
  });
});
