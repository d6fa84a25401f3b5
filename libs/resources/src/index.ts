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
export type { CgroupDetection, CgroupHierarchy, V1Controller } from './cgroup-hierarchy';
export { parseKeyValues, readCgroupFile, readNumber } from './cgroup-files';
export { locateCpuStat } from './own-cpu-stat';
export type { CpuThrottling } from './own-cpu-stat';
export { ReleaseStack } from './release-stack';
