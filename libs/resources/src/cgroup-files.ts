import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Reads a cgroup file as text; undefined if the kernel does not offer it. */
export function readCgroupFile(dir: string, file: string): string | undefined {
  try {
    return readFileSync(path.join(dir, file), 'utf8');
  } catch {
    return undefined;
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
