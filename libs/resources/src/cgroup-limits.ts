import type { ResourceProfile } from './resource-profile';

/** Limits for one cgroup, in kernel units, independent of the cgroup version. */
export interface CgroupLimits {
  /** Relative CPU weight (v1 `cpu.shares`, 2–262144). */
  readonly cpuShares: number;
  /** Hard CPU limit, or undefined for none; a negative quota lifts one already set. */
  readonly cpuQuota?: { readonly quotaUs: number; readonly periodUs: number };
  readonly memoryHardBytes?: number;
  readonly memorySoftBytes?: number;
  /** How the profile was translated where the translation is not one-to-one. */
  readonly notes: readonly string[];
}

export const CPU_UNITS_PER_VCPU = 1024;
/** The period ECS uses for task-level CPU limits. */
export const ECS_CPU_PERIOD_US = 100_000;
/** Kernel bounds for CFS bandwidth control (Documentation/scheduler/sched-bwc). */
export const MIN_CFS_QUOTA_US = 1_000;
export const MAX_CFS_PERIOD_US = 1_000_000;
/** Linux's smallest `cpu.shares`; ECS raises 0 and 1 to it. */
export const MIN_CPU_SHARES = 2;
const MIB = 1024 * 1024;

/**
 * Translates an ECS profile the way the ECS agent does on the EC2 launch type:
 * - container `cpu` → `cpu.shares` (0 or 1 → 2), a weight that only matters under contention;
 * - task `cpu` → a CFS quota of `cpu / 1024 × 100 ms` per 100 ms. Where that quota is below the
 *   kernel's 1 ms minimum (task cpu under 11 units) the period becomes the kernel's longest,
 *   1 s, keeping the same fraction, since the literal value would be rejected (4 units:
 *   390 µs per 100 ms is impossible; 3,906 µs per 1 s is the same 0.0039 vCPU);
 * - container `memory` (or task `memory`, whichever is lower) → hard limit;
 *   `memoryReservation` → soft limit.
 */
export function cgroupLimitsFor(profile: ResourceProfile): CgroupLimits {
  const notes: string[] = [];
  const units = profile.container.cpu ?? 0;
  const cpuShares = Math.max(MIN_CPU_SHARES, units);
  if (units < MIN_CPU_SHARES) notes.push(`container cpu ${units} → cpu.shares ${MIN_CPU_SHARES} (the kernel minimum, as the ECS agent does)`);

  let cpuQuota: CgroupLimits['cpuQuota'];
  if (profile.task?.cpu !== undefined) {
    cpuQuota = quotaFor(profile.task.cpu, notes);
  }

  const hardMib = minDefined(profile.container.memory, profile.task?.memory);
  return {
    cpuShares,
    ...(cpuQuota ? { cpuQuota } : {}),
    ...(hardMib !== undefined ? { memoryHardBytes: hardMib * MIB } : {}),
    ...(profile.container.memoryReservation !== undefined ? { memorySoftBytes: profile.container.memoryReservation * MIB } : {}),
    notes,
  };
}

function quotaFor(taskCpuUnits: number, notes: string[]): { quotaUs: number; periodUs: number } {
  const fraction = taskCpuUnits / CPU_UNITS_PER_VCPU;
  const literalQuota = Math.round(fraction * ECS_CPU_PERIOD_US);
  if (literalQuota >= MIN_CFS_QUOTA_US) return { quotaUs: literalQuota, periodUs: ECS_CPU_PERIOD_US };

  // The longest period the kernel allows gives the largest quota for the same fraction.
  const periodUs = MAX_CFS_PERIOD_US;
  const quotaUs = Math.round(fraction * periodUs);
  if (quotaUs < MIN_CFS_QUOTA_US) {
    throw new Error(
      `task.cpu ${taskCpuUnits} is ${fraction.toFixed(5)} vCPU: below the smallest hard quota the kernel accepts ` +
        `(${MIN_CFS_QUOTA_US} µs per ${MAX_CFS_PERIOD_US} µs, about 1.02 units)`,
    );
  }
  notes.push(
    `task cpu ${taskCpuUnits} → ${literalQuota} µs per ${ECS_CPU_PERIOD_US} µs is below the kernel's ${MIN_CFS_QUOTA_US} µs minimum; ` +
      `expressed as ${quotaUs} µs per ${periodUs} µs (the same ${fraction.toFixed(4)} vCPU)`,
  );
  return { quotaUs, periodUs };
}

function minDefined(...values: Array<number | undefined>): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length > 0 ? Math.min(...defined) : undefined;
}

/** cgroup v2 `cpu.weight` for a v1 `cpu.shares` value, as runc converts it. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}
