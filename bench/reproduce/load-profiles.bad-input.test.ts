// Bad profile files and flags of `npm run reproduce`: a clear error naming the file and the
// field, a non-zero exit, and nothing started or written (no services, no cgroup, no report).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand, type CommandResult } from '@storage-builder/services/testing';
import { loadDataProfile, loadResourceProfile } from '../harness/load-profiles';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REPRODUCE = fileURLToPath(new URL('./reproduce.ts', import.meta.url));
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const dir = mkdtempSync(path.join(tmpdir(), 'reproduce-bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const at = path.join(dir, name);
  writeFileSync(at, text);
  return at;
}

const validData = { clients: 2, rows: { rawData: 10, entities: 1, dataItems: 1, formulas: 1, formulaAssociations: 1 }, rawDataSkew: 0.5, textWidth: 8, seed: 1 };

describe('profile files', () => {
  it('names a resource profile file that is not JSON', () => {
    const bad = file('truncated.json', '{"name": "x", "container": {');
    expect(() => loadResourceProfile(bad)).toThrow(new RegExp(`^profile ${bad} is not valid JSON: `));
  });

  it('names the file and the field of a bad resource profile', () => {
    const bad = file('typo.json', JSON.stringify({ name: 'typo', container: { cpu: 4, memoryReservaton: 256 } }));
    expect(() => loadResourceProfile(bad)).toThrow('typo.json.container has unknown field memoryReservaton: allowed are cpu, memory, memoryReservation');
    const range = file('range.json', JSON.stringify({ name: 'range', container: { cpu: 20_000 } }));
    expect(() => loadResourceProfile(range)).toThrow('range.json.container.cpu must be an integer from 0 to 10240, got 20000');
  });

  it('names a data profile file that is missing, not JSON, or has a bad field', () => {
    expect(() => loadDataProfile(path.join(dir, 'absent.json'))).toThrow(/absent\.json cannot be read: check the name/);
    const notJson = file('data-not-json.json', 'clients: 2');
    expect(() => loadDataProfile(notJson)).toThrow(/data-not-json\.json is not valid JSON/);
    const bad = file('data-bad.json', JSON.stringify({ ...validData, rawDataSkew: 3 }));
    expect(() => loadDataProfile(bad)).toThrow('data-bad.json.rawDataSkew must be a number from 0 to 1, got 3');
  });
});

function reproduce(args: string[]): Promise<CommandResult> {
  return runCommand(TSX, [REPRODUCE, ...args], { cwd: ROOT, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
}

describe('npm run reproduce with bad input', () => {
  it('stops before provisioning anything and writes no report', async () => {
    const badData = file('reproduce-data.json', JSON.stringify({ ...validData, clients: 0 }));
    const out = (name: string) => path.join(dir, `reports-${name}`);
    const [data, production, flag, scale, only] = await Promise.all([
      reproduce(['--data', badData, '--out', out('data'), '--unconstrained']),
      reproduce(['--production', file('reproduce-production.json', '[]'), '--out', out('production'), '--unconstrained']),
      // There is no --profile: resource profiles come with the scenarios (load-profiles/resources).
      reproduce(['--profile', badData, '--out', out('flag')]),
      reproduce(['--scale', '0', '--out', out('scale')]),
      reproduce(['--only', 'all@nowhere', '--out', out('only')]),
    ]);

    expect(data.code, data.stderr).toBe(2);
    expect(data.stderr).toContain('reproduce-data.json.clients must be an integer from 1 to 100000, got 0');
    expect(production.code, production.stderr).toBe(2);
    expect(production.stderr).toContain('reproduce-production.json must be an object, got []');

    expect(flag.code, flag.stderr).toBe(2);
    expect(flag.stderr).toMatch(/Unknown option '--profile'/);
    expect(flag.stderr).toContain('Usage: npm run reproduce');
    expect(scale.code, scale.stderr).toBe(2);
    expect(scale.stderr).toContain('--scale is "0": use a number from 0.001 to 1000');
    expect(only.code, only.stderr).toBe(2);
    expect(only.stderr).toContain('--only names unknown scenarios all@nowhere: use ids from --help');

    for (const run of [data, production, flag, scale, only]) {
      // Services, seeding and the sandbox (its cgroups and neighbours) come after the checks.
      expect(run.stderr).not.toContain('Provisioning services');
      expect(run.stdout).toBe('');
    }
    for (const name of ['data', 'production', 'flag', 'scale', 'only']) expect(existsSync(out(name)), name).toBe(false);
  });
});
