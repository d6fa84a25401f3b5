import { describe, expect, it } from 'vitest';
import { cgroupPathOf, parseCpuStat } from './own-cpu-stat';

describe('parseCpuStat', () => {
  it('reads cgroup v1 throttled_time in nanoseconds', () => {
    expect(parseCpuStat('nr_periods 120\nnr_throttled 7\nthrottled_time 2500000000\n', 1)).toEqual({
      cgroupVersion: 1,
      periods: 120,
      throttledPeriods: 7,
      throttledSeconds: 2.5,
    });
  });

  it('reads cgroup v2 throttled_usec in microseconds', () => {
    const text = 'usage_usec 100\nuser_usec 60\nsystem_usec 40\nnr_periods 10\nnr_throttled 2\nthrottled_usec 1500000\n';
    expect(parseCpuStat(text, 2)).toEqual({ cgroupVersion: 2, periods: 10, throttledPeriods: 2, throttledSeconds: 1.5 });
  });

  it('gives up on a file without the throttling fields', () => {
    expect(parseCpuStat('usage_usec 100\n', 2)).toBeUndefined();
  });
});

describe('cgroupPathOf', () => {
  const text = '4:memory:/ecs/task/abc\n2:cpu,cpuacct:/ecs/task/abc\n0::/system.slice/worker.service\n';
  it('finds a v1 controller among combined ones', () => expect(cgroupPathOf(text, 'cpu')).toBe('/ecs/task/abc'));
  it('finds the v2 unified line', () => expect(cgroupPathOf(text, undefined)).toBe('/system.slice/worker.service'));
  it('says when a controller is absent', () => expect(cgroupPathOf(text, 'pids')).toBeUndefined());
});
