import { describe, expect, it } from 'vitest';
import { parseCgroupMounts } from './cgroup-hierarchy';

const hybridV1 = [
  'tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0',
  'cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0',
  'cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0',
  'cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0',
  'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0',
].join('\n');

describe('parseCgroupMounts', () => {
  it('uses v1 controllers on a hybrid host whose v2 tree has no cpu or memory', () => {
    const detection = parseCgroupMounts(hybridV1, () => ['hugetlb']);
    expect(detection).toEqual({
      ok: true,
      hierarchy: { version: 1, mounts: { cpu: '/sys/fs/cgroup/cpu', cpuacct: '/sys/fs/cgroup/cpuacct', memory: '/sys/fs/cgroup/memory' } },
    });
  });

  it('handles cpu and cpuacct sharing one mount', () => {
    const text = 'cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\ncgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0';
    const detection = parseCgroupMounts(text, () => []);
    expect(detection.ok && detection.hierarchy.version === 1 && detection.hierarchy.mounts.cpuacct).toBe('/sys/fs/cgroup/cpu,cpuacct');
  });

  it('prefers a unified v2 mount that offers cpu and memory', () => {
    const detection = parseCgroupMounts('cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0', () => ['cpuset', 'cpu', 'io', 'memory', 'pids']);
    expect(detection).toEqual({ ok: true, hierarchy: { version: 2, mount: '/sys/fs/cgroup' } });
  });

  it('says what is missing when neither can be used', () => {
    expect(parseCgroupMounts('cgroup2 /sys/fs/cgroup cgroup2 rw 0 0', () => ['pids'])).toEqual({
      ok: false,
      reason: 'cgroup v2 at /sys/fs/cgroup offers no cpu and memory controllers, and v1 lacks cpu, cpuacct, memory',
    });
  });
});
