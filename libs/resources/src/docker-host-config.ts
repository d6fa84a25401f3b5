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

/** `docker run` flags that set the same HostConfig fields, for scripts and CI. */
export function dockerRunFlags(config: DockerResourceHostConfig): string[] {
  return [
    `--cpu-shares=${config.CpuShares}`,
    ...(config.CpuQuota !== undefined ? [`--cpu-quota=${config.CpuQuota}`, `--cpu-period=${config.CpuPeriod}`] : []),
    ...(config.Memory !== undefined ? [`--memory=${config.Memory}b`] : []),
    ...(config.MemoryReservation !== undefined ? [`--memory-reservation=${config.MemoryReservation}b`] : []),
  ];
}
