import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Reads a cgroup file as text; undefined if the kernel does not offer it. */
export function readCgroupFile(dir: string, file: string): string | undefined {
  try {
    return readFileSync(path.join(dir, file), 'utf8');
  } catch {
    return undefined;
  }
}

export function writeCgroupFile(dir: string, file: string, value: string | number): void {
  try {
    writeFileSync(path.join(dir, file), String(value));
  } catch (error) {
    throw new Error(`writing ${value} to ${path.join(dir, file)} failed: ${(error as Error).message}`);
  }
}

/** Parses `key value` lines (cpu.stat, memory.events, memory.oom_control). */
export function parseKeyValues(text: string | undefined): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) values[key] = Number(value);
  }
  return values;
}

export function readNumber(dir: string, file: string): number | undefined {
  const text = readCgroupFile(dir, file)?.trim();
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
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
