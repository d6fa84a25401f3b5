import path from 'node:path';
import type { Cgroup, CgroupStats } from './cgroup';
import { parseKeyValues, readCgroupFile, readNumber, type CgroupLimits, type V1Controller } from '@storage-builder/resources';
import { killAndRemove, makeGroupDir, writeCgroupFile } from './cgroup-writes';

/** A group in a cgroup v1 host: one directory per hierarchy (cpu, cpuacct, memory may share one). */
export function createV1Group(mounts: Readonly<Record<V1Controller, string>>, relativePath: string): Cgroup {
  const dirs = {
    cpu: path.join(mounts.cpu, relativePath),
    cpuacct: path.join(mounts.cpuacct, relativePath),
    memory: path.join(mounts.memory, relativePath),
  };
  const distinct = [...new Set(Object.values(dirs))];
  for (const dir of distinct) makeGroupDir(dir);

  return {
    name: relativePath,
    procsFiles: distinct.map((dir) => path.join(dir, 'cgroup.procs')),
    apply(limits: CgroupLimits) {
      writeCgroupFile(dirs.cpu, 'cpu.shares', limits.cpuShares);
      if (limits.cpuQuota) {
        writeCgroupFile(dirs.cpu, 'cpu.cfs_period_us', limits.cpuQuota.periodUs);
        writeCgroupFile(dirs.cpu, 'cpu.cfs_quota_us', limits.cpuQuota.quotaUs);
      }
      if (limits.memoryHardBytes !== undefined) writeCgroupFile(dirs.memory, 'memory.limit_in_bytes', limits.memoryHardBytes);
      if (limits.memorySoftBytes !== undefined) writeCgroupFile(dirs.memory, 'memory.soft_limit_in_bytes', limits.memorySoftBytes);
    },
    stats(): CgroupStats {
      const cpuStat = parseKeyValues(readCgroupFile(dirs.cpu, 'cpu.stat'));
      const oom = parseKeyValues(readCgroupFile(dirs.memory, 'memory.oom_control'));
      return {
        cpuUsageNs: readNumber(dirs.cpuacct, 'cpuacct.usage') ?? 0,
        nrPeriods: cpuStat['nr_periods'] ?? 0,
        nrThrottled: cpuStat['nr_throttled'] ?? 0,
        throttledNs: cpuStat['throttled_time'] ?? 0,
        memoryCurrentBytes: readNumber(dirs.memory, 'memory.usage_in_bytes') ?? 0,
        memoryPeakBytes: readNumber(dirs.memory, 'memory.max_usage_in_bytes'),
        oomKills: oom['oom_kill'] ?? 0,
      };
    },
    destroy() {
      for (const dir of distinct) killAndRemove(dir);
    },
  };
}
