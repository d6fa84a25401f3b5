#!/usr/bin/env node
// The workspace test command: runs every project's `test` target through Nx, then prints
// one summary line for all projects from the JSON reports Vitest writes to reports/tests/.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const reportDir = path.resolve('reports/tests');
rmSync(reportDir, { recursive: true, force: true });

const nx = spawnSync('npx', ['nx', 'run-many', '-t', 'test', '--outputStyle=stream', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', ...process.env },
});

const totals = { passed: 0, failed: 0, skipped: 0, projects: 0 };
for (const file of existsSync(reportDir) ? readdirSync(reportDir) : []) {
  const report = JSON.parse(readFileSync(path.join(reportDir, file), 'utf8'));
  totals.projects += 1;
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  totals.skipped += report.numPendingTests + report.numTodoTests;
}

console.log(`\n${totals.projects} projects tested`);
console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
const exitCode = nx.status ?? 1;
process.exit(exitCode !== 0 ? exitCode : totals.failed > 0 || totals.projects === 0 ? 1 : 0);
