import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Cgroup } from './cgroup';
import { killAndRemove, removeIfEmpty } from './cgroup-writes';
import type { CgroupHierarchy } from '@storage-builder/resources';
import { createV1Group } from './cgroup-v1';
import { createV2Group } from './cgroup-v2';

/** Every group the sandbox makes lives under this directory of each hierarchy. */
export const SANDBOX_CGROUP_BASE = 'storage-builder';

/**
 * The groups of one sandbox run, under `storage-builder/run-<pid>-<random>/`. The creator's
 * pid in the name lets a later run remove what a killed run left behind.
 */
export class CgroupTree {
  readonly runPath: string;
  private readonly groups: Cgroup[] = [];

  get version(): 1 | 2 {
    return this.hierarchy.version;
  }

  constructor(private readonly hierarchy: CgroupHierarchy) {
    removeAbandonedRuns(hierarchy);
    this.runPath = `${SANDBOX_CGROUP_BASE}/run-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  group(name: string): Cgroup {
    const relative = `${this.runPath}/${name}`;
    const group = this.hierarchy.version === 1 ? createV1Group(this.hierarchy.mounts, relative) : createV2Group(this.hierarchy.mount, relative);
    this.groups.push(group);
    return group;
  }

  /** Kills every process in the run's groups and removes them. Synchronous and safe to call twice. */
  destroy(): void {
    const failures: string[] = [];
    for (const group of this.groups.splice(0).reverse()) {
      try {
        group.destroy();
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    for (const root of hierarchyRoots(this.hierarchy)) {
      removeIfEmpty(path.join(root, this.runPath));
      removeIfEmpty(path.join(root, SANDBOX_CGROUP_BASE));
    }
    if (failures.length > 0) throw new Error(`cgroup clean-up failed: ${failures.join('; ')}`);
  }
}

function hierarchyRoots(hierarchy: CgroupHierarchy): string[] {
  return hierarchy.version === 1 ? [...new Set(Object.values(hierarchy.mounts))] : [hierarchy.mount];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeAbandonedRuns(hierarchy: CgroupHierarchy): void {
  for (const root of hierarchyRoots(hierarchy)) {
    const base = path.join(root, SANDBOX_CGROUP_BASE);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base)) {
      const creator = /^run-(\d+)-/.exec(entry)?.[1];
      if (creator && !isAlive(Number(creator))) killAndRemove(path.join(base, entry));
    }
  }
}
