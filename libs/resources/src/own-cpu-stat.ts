import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseKeyValues, readCgroupFile } from './cgroup-files';
import { detectCgroups } from './cgroup-hierarchy';

/** CPU throttling of the cgroup a process runs in, as the kernel counts it. */
export interface CpuThrottling {
  readonly cgroupVersion: 1 | 2;
  readonly periods: number;
  readonly throttledPeriods: number;
  readonly throttledSeconds: number;
}

/** Parses `cpu.stat`: v1 counts `throttled_time` in ns, v2 `throttled_usec` in µs. Undefined without the throttling fields. */
export function parseCpuStat(text: string, version: 1 | 2): CpuThrottling | undefined {
  const fields = parseKeyValues(text);
  const throttled = version === 1 ? fields['throttled_time'] : fields['throttled_usec'];
  const periods = fields['nr_periods'];
  const throttledPeriods = fields['nr_throttled'];
  if (throttled === undefined || periods === undefined || throttledPeriods === undefined) return undefined;
  return { cgroupVersion: version, periods, throttledPeriods, throttledSeconds: version === 1 ? throttled / 1e9 : throttled / 1e6 };
}

/** The cgroup path of a controller (v1) or of the unified hierarchy (v2) in `/proc/self/cgroup` text. */
export function cgroupPathOf(procSelfCgroup: string, controller: string | undefined): string | undefined {
  for (const line of procSelfCgroup.split('\n')) {
    const [, controllers, cgroupPath] = line.split(':');
    if (controllers === undefined || cgroupPath === undefined) continue;
    if (controller === undefined ? controllers === '' : controllers.split(',').includes(controller)) return cgroupPath;
  }
  return undefined;
}

/**
 * Finds this process's own `cpu.stat`. In a container the cgroup namespace usually makes the
 * own group the mount root; outside one it is the mount plus the path in /proc/self/cgroup.
 * Returns a reader, or undefined when nothing readable exists (then there is no throttling to report).
 */
export function locateCpuStat(): (() => CpuThrottling | undefined) | undefined {
  const detection = detectCgroups();
  if (!detection.ok) return undefined;
  let self: string;
  try {
    self = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return undefined;
  }
  const { hierarchy } = detection;
  const mount = hierarchy.version === 1 ? hierarchy.mounts.cpu : hierarchy.mount;
  const own = cgroupPathOf(self, hierarchy.version === 1 ? 'cpu' : undefined) ?? '/';
  const dir = [path.join(mount, own), mount].find((candidate) => existsSync(path.join(candidate, 'cpu.stat')));
  if (dir === undefined) return undefined;
  return () => {
    const text = readCgroupFile(dir, 'cpu.stat');
    return text === undefined ? undefined : parseCpuStat(text, hierarchy.version);
  };
}
