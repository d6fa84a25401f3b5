import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The controllers the sandbox needs. On v1 each may be its own mount or share one. */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

export type CgroupHierarchy =
  | { readonly version: 1; readonly mounts: Readonly<Record<V1Controller, string>> }
  | { readonly version: 2; readonly mount: string };

export type CgroupDetection = { readonly ok: true; readonly hierarchy: CgroupHierarchy } | { readonly ok: false; readonly reason: string };

/**
 * Finds where cpu, cpuacct and memory can be controlled, from `/proc/self/mounts` text.
 * A v2 mount counts only if it offers the cpu and memory controllers: hybrid hosts mount
 * an empty v2 tree at `/sys/fs/cgroup/unified` beside the real v1 controllers.
 */
export function parseCgroupMounts(mountsText: string, v2Controllers: (mount: string) => string[]): CgroupDetection {
  const v1: Partial<Record<V1Controller, string>> = {};
  const v2Mounts: string[] = [];
  for (const line of mountsText.split('\n')) {
    const [, mountPoint, type, options] = line.split(' ');
    if (!mountPoint || !options) continue;
    if (type === 'cgroup2') v2Mounts.push(mountPoint);
    if (type !== 'cgroup') continue;
    for (const option of options.split(',')) {
      if ((V1_CONTROLLERS as readonly string[]).includes(option)) v1[option as V1Controller] = mountPoint;
    }
  }

  for (const mount of v2Mounts) {
    const controllers = v2Controllers(mount);
    if (controllers.includes('cpu') && controllers.includes('memory')) return { ok: true, hierarchy: { version: 2, mount } };
  }
  const missing = V1_CONTROLLERS.filter((c) => v1[c] === undefined);
  if (missing.length === 0) return { ok: true, hierarchy: { version: 1, mounts: v1 as Record<V1Controller, string> } };
  return {
    ok: false,
    reason:
      v2Mounts.length > 0
        ? `cgroup v2 at ${v2Mounts.join(', ')} offers no cpu and memory controllers, and v1 lacks ${missing.join(', ')}`
        : `no cgroup v2 mount and no v1 mount for ${missing.join(', ')}`,
  };
}

/** Detects the cgroup hierarchy of this machine. */
export function detectCgroups(): CgroupDetection {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return { ok: false, reason: '/proc/self/mounts cannot be read: cgroups need Linux' };
  }
  return parseCgroupMounts(mounts, (mount) => {
    const file = path.join(mount, 'cgroup.controllers');
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/) : [];
  });
}
