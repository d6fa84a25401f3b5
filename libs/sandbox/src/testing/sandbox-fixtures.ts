import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { SANDBOX_CGROUP_BASE } from '../cgroup-tree';
import { detectCgroups } from '@storage-builder/resources';

/** Node code for a child that burns CPU for `ms` of wall time, so a starved child still ends on time. */
export function spinFor(ms: number): string {
  return `const end = Date.now() + ${ms}; let n = 0; while (Date.now() < end) n++; console.log(n);`;
}

/** Node code for a child that keeps allocating memory outside the V8 heap until something stops it. */
export const ALLOCATE_FOREVER = 'const keep = []; for (;;) keep.push(Buffer.alloc(1 << 20, 1));';

export const canUseCgroups = process.getuid?.() === 0 && detectCgroups().ok;

/** Sandbox run directories created by process `pid` that still exist, in any hierarchy. */
export function runGroupsOf(pid: number): string[] {
  const detection = detectCgroups();
  if (!detection.ok) return [];
  const roots = detection.hierarchy.version === 1 ? [...new Set(Object.values(detection.hierarchy.mounts))] : [detection.hierarchy.mount];
  return roots.flatMap((root) => {
    const base = path.join(root, SANDBOX_CGROUP_BASE);
    return existsSync(base) ? readdirSync(base).filter((e) => e.startsWith(`run-${pid}-`)).map((e) => path.join(base, e)) : [];
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
