import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readCgroupFile } from '@storage-builder/resources';

export function writeCgroupFile(dir: string, file: string, value: string | number): void {
  try {
    writeFileSync(path.join(dir, file), String(value));
  } catch (error) {
    throw new Error(`writing ${value} to ${path.join(dir, file)} failed: ${(error as Error).message}`);
  }
}

/** Creates a group directory; a clear error where cgroups are not writable. */
export function makeGroupDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? 'cgroups are not writable here: run as root on a host (or a privileged container) that delegates cgroups, or run with --unconstrained'
      : (error as Error).message;
    throw new Error(`cannot create cgroup ${dir}: ${hint}`);
  }
}

export function pidsIn(dir: string): number[] {
  return (readCgroupFile(dir, 'cgroup.procs') ?? '')
    .split('\n')
    .filter((line) => /^\d+$/.test(line))
    .map(Number);
}

const SYNC_WAIT = new Int32Array(new SharedArrayBuffer(4));

/** Kills every process in `dir` and removes it, waiting (synchronously) up to `timeoutMs` for them to go. */
export function killAndRemove(dir: string, timeoutMs = 5_000): void {
  if (!existsSync(dir)) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = pidsIn(dir);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (Date.now() > deadline) throw new Error(`processes ${pids.join(', ')} in ${dir} did not exit within ${timeoutMs} ms`);
    Atomics.wait(SYNC_WAIT, 0, 0, 20);
  }
  // Child directories first: a group can only be removed once it has none.
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) killAndRemove(path.join(dir, entry.name), timeoutMs);
  }
  rmdirSync(dir);
}

/** Removes a directory if it is empty; leaves it when another run still uses it. */
export function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty, busy, or already gone
  }
}
