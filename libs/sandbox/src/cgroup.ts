import type { CgroupLimits } from '@storage-builder/resources';

/** Counters of one cgroup, in one shape for v1 and v2. */
export interface CgroupStats {
  /** CPU time used by every process in the group. */
  readonly cpuUsageNs: number;
  /** CFS periods elapsed while the group had runnable tasks and a quota, and how many were throttled. */
  readonly nrPeriods: number;
  readonly nrThrottled: number;
  readonly throttledNs: number;
  readonly memoryCurrentBytes: number;
  /** Highest memory use seen by the kernel (v1 `max_usage_in_bytes`, v2 `memory.peak`); undefined where the kernel keeps none. */
  readonly memoryPeakBytes: number | undefined;
  /** Processes the kernel's OOM killer ended in this group. */
  readonly oomKills: number;
}

/** One control group, created by the sandbox and removed by it. */
export interface Cgroup {
  readonly name: string;
  /** The `cgroup.procs` files a process writes its pid to in order to join (one per v1 hierarchy). */
  readonly procsFiles: readonly string[];
  apply(limits: CgroupLimits): void;
  stats(): CgroupStats;
  /** Kills what is left in the group and removes it. Synchronous, so it can run in a signal handler. */
  destroy(): void;
}
