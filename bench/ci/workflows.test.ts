import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const workflowDir = path.join(root, '.github/workflows');
const workflows = readdirSync(workflowDir).filter((f) => f.endsWith('.yml'));
const scripts = Object.keys((JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
const validator = path.join(root, 'node_modules/.bin/action-validator');

function validate(file: string) {
  return spawnSync(validator, [file], { encoding: 'utf8' });
}

describe('GitHub workflows', () => {
  it('exist: tests, the Docker path and the performance gate', () => {
    expect(workflows.sort()).toEqual(['docker-path.yml', 'performance-gate.yml', 'tests.yml']);
  });

  it.each(workflows)('%s passes the workflow schema validator', (file) => {
    const result = validate(path.join(workflowDir, file));
    // It warns that it cannot check path globs yet; errors make the status non-zero.
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it.each(workflows)('%s runs only npm ci, npm test, scripts that package.json defines and Debian package installs', (file) => {
    const commands = readFileSync(path.join(workflowDir, file), 'utf8')
      .split('\n')
      .flatMap((line) => /^\s*(?:-\s*)?run:\s*(.+)$/.exec(line)?.[1]?.trim() ?? []);
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      const script = /^npm run ([\w:.-]+)/.exec(command)?.[1];
      if (command === 'npm ci' || command === 'npm test') continue;
      // System tools the measurements need (valgrind), from the runner's own package manager.
      if (/^sudo apt-get update && sudo apt-get install -y --no-install-recommends [a-z0-9][a-z0-9.+-]*( [a-z0-9][a-z0-9.+-]*)*$/.test(command)) continue;
      expect(script, `${file}: "${command}" is not an npm script`).toBeDefined();
      expect(scripts, `${file}: npm run ${script}`).toContain(script);
    }
  });

  it.each(workflows)('%s pins every action to a full commit SHA', (file) => {
    const uses = readFileSync(path.join(workflowDir, file), 'utf8')
      .split('\n')
      .flatMap((line) => /^\s*(?:-\s*)?uses:\s*(\S+)/.exec(line)?.[1] ?? []);
    expect(uses.length).toBeGreaterThan(0);
    for (const action of uses) expect(action).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
  });

  it.each(workflows)('%s leaves no token in the git config and lets only jobs that run no npm command write', (file) => {
    const text = readFileSync(path.join(workflowDir, file), 'utf8');
    const checkouts = text.split('uses: actions/checkout@').slice(1);
    expect(checkouts.length).toBeGreaterThan(0);
    for (const checkout of checkouts) expect(checkout.split(/\n\s*- /)[0], 'checkout step').toMatch(/persist-credentials: false/);
    expect(text.split(/\njobs:\n/)[0], 'workflow-wide permissions').not.toMatch(/: write/);
    for (const job of text.split(/\n {2}(?=[\w-]+:\n)/).slice(1)) {
      if (/: write/.test(job)) expect(job, 'a job with write permission').not.toMatch(/run:\s*npm/);
    }
  });

  it('the validator rejects a broken workflow, so the checks above can fail', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'workflow-'));
    try {
      const broken = path.join(dir, 'broken.yml');
      writeFileSync(broken, 'name: broken\non: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uzes: actions/checkout@v4\n');
      expect(validate(broken).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
