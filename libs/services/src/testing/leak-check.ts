// Vitest global setup: after a project's tests, fail the run if a temporary directory
// or a process created by the service launchers (embedded PostgreSQL, redis-server) is
// still there. Both carry this run's tag: the directories in their names, the processes
// in their command lines (data directory, working directory). The tag reaches the test
// workers through the environment, which they inherit from this process.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RUN_TAG_VARIABLE, TEMP_DIR_PREFIX } from '../local-resources';

const tag = `t${randomBytes(3).toString('hex')}`;
process.env[RUN_TAG_VARIABLE] = tag;
const namePrefix = `${TEMP_DIR_PREFIX}${tag}-`;
const marker = path.join(tmpdir(), namePrefix);

function ourTempDirs(): Set<string> {
  return new Set(readdirSync(tmpdir()).filter((name) => name.startsWith(namePrefix)));
}

function ourProcesses(): Map<string, string> {
  const found = new Map<string, string>();
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (cmdline.includes(marker)) found.set(pid, cmdline);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

export default function setup() {
  const dirsBefore = ourTempDirs();
  const processesBefore = ourProcesses();
  return function teardown() {
    const dirs = [...ourTempDirs()].filter((dir) => !dirsBefore.has(dir));
    const processes = [...ourProcesses()].filter(([pid]) => !processesBefore.has(pid));
    if (dirs.length > 0 || processes.length > 0) {
      console.error(
        `Tests left resources behind:\n  directories in ${tmpdir()}: ${dirs.join(', ') || 'none'}\n` +
          `  processes: ${processes.map(([pid, cmd]) => `${pid} ${cmd}`).join('; ') || 'none'}`,
      );
      // Vitest reports an error thrown here but still exits 0; the exit code must say it.
      process.exitCode = 1;
    }
  };
}
