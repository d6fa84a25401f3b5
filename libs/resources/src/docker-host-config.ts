import { cgroupLimitsFor } from './cgroup-limits';
import type { ResourceProfile } from './resource-profile';

/** The Docker Engine API `HostConfig` fields that carry a profile's limits. */
export interface DockerResourceHostConfig {
  CpuShares: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  Memory?: number;
  MemoryReservation?: number;
}

/**
 * The same limits as the cgroup sandbox, for `docker run` / Testcontainers
 * (`withResourcesQuota` is too coarse; pass these through the container's HostConfig).
 */
export function dockerHostConfigFor(profile: ResourceProfile): DockerResourceHostConfig {
  const limits = cgroupLimitsFor(profile);
  return {
    CpuShares: limits.cpuShares,
    ...(limits.cpuQuota ? { CpuQuota: limits.cpuQuota.quotaUs, CpuPeriod: limits.cpuQuota.periodUs } : {}),
    ...(limits.memoryHardBytes !== undefined ? { Memory: limits.memoryHardBytes } : {}),
    ...(limits.memorySoftBytes !== undefined ? { MemoryReservation: limits.memorySoftBytes } : {}),
  };
}
