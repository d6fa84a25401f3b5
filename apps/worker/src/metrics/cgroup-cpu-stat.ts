import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { detectCgroups } from '@storage-builder/resources';

/** CPU throttling of the cgroup this process runs in, as the kernel counts it. */
export interface CpuThrottling {
  readonly cgroupVersion: 1 | 2;
  readonly periods: number;
  readonly throttledPeriods: number;
  readonly throttledSeconds: number;
}

/** Parses `cpu.stat`: v1 counts `throttled_time` in ns, v2 `throttled_usec` in µs. */
export function parseCpuStat(text: string, version: 1 | 2): CpuThrottling | undefined {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) fields.set(key, Number(value));
  }
  const throttled = version === 1 ? fields.get('throttled_time') : fields.get('throttled_usec');
  const periods = fields.get('nr_periods');
  const throttledPeriods = fields.get('nr_throttled');
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
 * Finds this process's `cpu.stat`. In a container the cgroup namespace usually makes the
 * own group the mount root; outside one it is the mount plus the path in /proc/self/cgroup.
 * Returns a reader, or undefined when nothing readable exists (then no throttling metric).
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
  const version = detection.hierarchy.version;
  const mount = detection.hierarchy.version === 1 ? detection.hierarchy.mounts.cpu : detection.hierarchy.mount;
  const own = cgroupPathOf(self, version === 1 ? 'cpu' : undefined) ?? '/';
  const file = [path.join(mount, own, 'cpu.stat'), path.join(mount, 'cpu.stat')].find((candidate) => existsSync(candidate));
  if (!file) return undefined;
  return () => {
    try {
      return parseCpuStat(readFileSync(file, 'utf8'), version);
    } catch {
      return undefined;
    }
  };
}
