// The worker process on a bad environment: exit code 2, one JSON line on stderr naming the
// variable and the fix, no secret echoed, and nothing started (no log line on stdout, so
// no server, pool or run). Configuration fails before any service is touched, so none is needed.
import { describe, expect, it } from 'vitest';
import { runCommand, type CommandResult } from '@storage-builder/services/testing';
import { baseEnv, MAIN, TEST_TOKEN } from './testing/worker-process';

/** main.ts's EXIT_CONFIG; importing main.ts would start a worker. */
const EXIT_CONFIG = 2;
const valid = { DATABASE_URL: 'postgres://app:pw-db-4242@127.0.0.1:9/source', S3_BUCKET: 'snapshots-bucket', S3_REGION: 'eu-west-1', CONTROL_TOKEN: TEST_TOKEN, PORT: '0' };

function startMain(env: NodeJS.ProcessEnv): Promise<CommandResult> {
  return runCommand(process.execPath, ['--import', 'tsx', MAIN], { env: { ...baseEnv(), ...env } });
}

describe('the worker process with a bad environment', () => {
  it('exits 2 naming the variable, echoes no secret and starts nothing', async () => {
    const cases: Array<[NodeJS.ProcessEnv, string, string]> = [
      [{ DATABASE_URL: 'mysql://app:hunter22@db/source' }, 'DATABASE_URL', 'DATABASE_URL uses mysql://: set it to postgres://'],
      [{ REDIS_URL: 'http://:hunter22@cache:6379' }, 'REDIS_URL', 'REDIS_URL uses http://: set it to redis://host:6379'],
      [{ S3_ENDPOINT: 'http://key:hunter22@[store' }, 'S3_ENDPOINT', 'S3_ENDPOINT is not a valid URL'],
      [{ PORT: '80a' }, 'PORT', 'PORT is "80a": set it to a whole number from 0 to 65535'],
      [{ MODE: 'distributed' }, 'REDIS_URL', 'REDIS_URL is not set but MODE is distributed'],
      [{ CONTROL_TOKEN: 'hunter22-too-short' }, 'CONTROL_TOKEN', 'CONTROL_TOKEN is 18 characters long: use at least 24'],
    ];
    const runs = await Promise.all(cases.map(([change]) => startMain({ ...valid, ...change })));
    for (const [i, [, variable, message]] of cases.entries()) {
      const run = runs[i]!;
      expect(run.code, run.stderr).toBe(EXIT_CONFIG);
      const line = JSON.parse(run.stderr.trim()) as { level: string; message: string; variable: string };
      expect(line).toMatchObject({ level: 'error', variable });
      expect(line.message).toContain(`invalid configuration: ${message}`);
      expect(run.stderr).not.toContain('hunter22');
      expect(run.stdout).toBe('');
    }
  });
});
