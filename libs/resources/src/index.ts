export { parseResourceProfile } from './resource-profile';
export type { ResourceProfile } from './resource-profile';
export {
  cgroupLimitsFor,
  sharesToWeight,
  CPU_UNITS_PER_VCPU,
  ECS_CPU_PERIOD_US,
  MAX_CFS_PERIOD_US,
  MIN_CFS_QUOTA_US,
  MIN_CPU_SHARES,
} from './cgroup-limits';
export type { CgroupLimits } from './cgroup-limits';
export { dockerHostConfigFor, dockerRunFlags } from './docker-host-config';
export type { DockerResourceHostConfig } from './docker-host-config';
export { cloudWatchCpuUtilization } from './cloudwatch-cpu';
export { detectCgroups, parseCgroupMounts } from './cgroup-hierarchy';
export type { CgroupDetection, CgroupHierarchy } from './cgroup-hierarchy';
export type { CgroupStats } from './cgroup';
export { SANDBOX_CGROUP_BASE } from './cgroup-tree';
export { runSandboxed, DEFAULT_KILL_GRACE_MS, DEFAULT_SAMPLE_INTERVAL_MS } from './run-sandboxed';
export type { SandboxOutcome, SandboxResult, SandboxRunOptions, SandboxSample } from './run-sandboxed';
export type { ChildProbeReport } from './child-probe-report';
export { locateCpuStat } from './own-cpu-stat';
export type { CpuThrottling } from './own-cpu-stat';
export { ReleaseStack } from './release-stack';
