import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { baseEnv, CLI } from './testing/worker-process';

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...baseEnv(), ...env }, encoding: 'utf8' });
}

describe('the CLI', () => {
  it('exits 2 on a bad command line, naming the problem', () => {
    const result = cli(['update', '--client', 'abc']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--client is "abc"');
  });

  it('exits 2 when a variable is missing', () => {
    const result = cli(['migrate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('DATABASE_URL is not set');
  });

  it('exits 2 on an unknown profile', () => {
    const result = cli(['seed', '--profile', 'no-such-profile'], { DATABASE_URL: 'postgres://127.0.0.1:9/none' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--profile no-such-profile');
  });
});
