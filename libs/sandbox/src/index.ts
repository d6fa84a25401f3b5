export type { CgroupStats } from './cgroup';
export { SANDBOX_CGROUP_BASE } from './cgroup-tree';
export { runSandboxed, DEFAULT_KILL_GRACE_MS, DEFAULT_SAMPLE_INTERVAL_MS } from './run-sandboxed';
export type { SandboxOutcome, SandboxResult, SandboxRunOptions, SandboxSample } from './run-sandboxed';
export type { ChildProbeReport } from './child-probe-report';
