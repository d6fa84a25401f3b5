import path from 'node:path';
import type { Cgroup, CgroupStats } from './cgroup';
import { parseKeyValues, readCgroupFile, readNumber, sharesToWeight, type CgroupLimits } from '@storage-builder/resources';
import { killAndRemove, makeGroupDir, writeCgroupFile } from './cgroup-writes';

/**
 * Makes cpu and memory available to the children of every directory from the mount down
 * to `relativeParent`. The v2 "no internal processes" rule is why groups live in a tree
 * of their own off the root rather than under this process's group.
 */
export function enableV2Controllers(mount: string, relativeParent: string): void {
  let dir = mount;
  for (const part of ['', ...relativeParent.split('/').filter(Boolean)]) {
    dir = path.join(dir, part);
    makeGroupDir(dir);
    writeCgroupFile(dir, 'cgroup.subtree_control', '+cpu +memory');
  }
}

/** A group in a cgroup v2 (unified) hierarchy. */
export function createV2Group(mount: string, relativePath: string): Cgroup {
  const dir = path.join(mount, relativePath);
  enableV2Controllers(mount, path.dirname(relativePath));
  makeGroupDir(dir);

  return {
    name: relativePath,
    procsFiles: [path.join(dir, 'cgroup.procs')],
    apply(limits: CgroupLimits) {
      writeCgroupFile(dir, 'cpu.weight', sharesToWeight(limits.cpuShares));
      if (limits.cpuQuota) {
        const quota = limits.cpuQuota.quotaUs < 0 ? 'max' : String(limits.cpuQuota.quotaUs);
        writeCgroupFile(dir, 'cpu.max', `${quota} ${limits.cpuQuota.periodUs}`);
      }
      if (limits.memoryHardBytes !== undefined) writeCgroupFile(dir, 'memory.max', limits.memoryHardBytes);
      // memory.low is v2's soft guarantee; it is the closest match to a reservation.
      if (limits.memorySoftBytes !== undefined) writeCgroupFile(dir, 'memory.low', limits.memorySoftBytes);
    },
    stats(): CgroupStats {
      const cpuStat = parseKeyValues(readCgroupFile(dir, 'cpu.stat'));
      const events = parseKeyValues(readCgroupFile(dir, 'memory.events'));
      return {
        cpuUsageNs: (cpuStat['usage_usec'] ?? 0) * 1_000,
        nrPeriods: cpuStat['nr_periods'] ?? 0,
        nrThrottled: cpuStat['nr_throttled'] ?? 0,
        throttledNs: (cpuStat['throttled_usec'] ?? 0) * 1_000,
        memoryCurrentBytes: readNumber(dir, 'memory.current') ?? 0,
        memoryPeakBytes: readNumber(dir, 'memory.peak'),
        oomKills: events['oom_kill'] ?? 0,
      };
    },
    destroy: () => killAndRemove(dir),
  };
}
