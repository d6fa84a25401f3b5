import { describe, expect, it } from 'vitest';
import { cgroupLimitsFor, sharesToWeight } from './cgroup-limits';
import { cloudWatchCpuUtilization } from './cloudwatch-cpu';
import { dockerHostConfigFor, dockerRunFlags } from './docker-host-config';
import type { ResourceProfile } from './resource-profile';

const MiB = 1024 * 1024;
const incident: ResourceProfile = { name: 'incident', description: '', container: { cpu: 4, memoryReservation: 256 } };
const hardQuotaReading: ResourceProfile = { name: 'hard-quota', description: '', task: { cpu: 4, memory: 256 }, container: { cpu: 4 } };
const recommended: ResourceProfile = { name: 'recommended', description: '', container: { cpu: 2048, memoryReservation: 2048, memory: 4096 } };

describe('cgroupLimitsFor', () => {
  it('maps the incident container (cpu 4, reservation 256) to a weight and a soft limit only', () => {
    expect(cgroupLimitsFor(incident)).toEqual({ cpuShares: 4, memorySoftBytes: 256 * MiB, notes: [] });
  });

  it('expresses a 4-unit task quota as 3,906 µs per 1 s, since 390 µs per 100 ms is below the kernel minimum', () => {
    const limits = cgroupLimitsFor(hardQuotaReading);
    expect(limits.cpuQuota).toEqual({ quotaUs: 3_906, periodUs: 1_000_000 });
    expect(limits.memoryHardBytes).toBe(256 * MiB);
    expect(limits.notes.join()).toContain('391 µs per 100000 µs is below the kernel');
  });

  it('keeps the ECS 100 ms period where the quota is expressible', () => {
    const limits = cgroupLimitsFor({ name: 'fargate', description: '', task: { cpu: 512 }, container: {} });
    expect(limits.cpuQuota).toEqual({ quotaUs: 50_000, periodUs: 100_000 });
    expect(limits.cpuShares).toBe(2);
  });

  it('maps the recommended profile to shares 2048, 2 GiB soft and 4 GiB hard', () => {
    expect(cgroupLimitsFor(recommended)).toEqual({ cpuShares: 2048, memorySoftBytes: 2048 * MiB, memoryHardBytes: 4096 * MiB, notes: [] });
  });

  it('takes the lower of task and container memory as the hard limit', () => {
    const limits = cgroupLimitsFor({ name: 'x', description: '', task: { memory: 1024 }, container: { memory: 512 } });
    expect(limits.memoryHardBytes).toBe(512 * MiB);
  });

  it('refuses a quota below what the kernel can express even at the longest period', () => {
    expect(() => cgroupLimitsFor({ name: 'x', description: '', task: { cpu: 1 }, container: {} })).toThrow(
      /task.cpu 1 is 0.00098 vCPU: below the smallest hard quota the kernel accepts/,
    );
  });
});

describe('sharesToWeight', () => {
  it('converts v1 shares to v2 weights as runc does', () => {
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(4)).toBe(1);
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(262144)).toBe(10000);
  });
});

describe('dockerHostConfigFor', () => {
  it('gives the same limits as Docker HostConfig fields', () => {
    expect(dockerHostConfigFor(incident)).toEqual({ CpuShares: 4, MemoryReservation: 256 * MiB });
    expect(dockerHostConfigFor(hardQuotaReading)).toEqual({ CpuShares: 4, CpuQuota: 3_906, CpuPeriod: 1_000_000, Memory: 256 * MiB });
    expect(dockerHostConfigFor(recommended)).toEqual({ CpuShares: 2048, Memory: 4096 * MiB, MemoryReservation: 2048 * MiB });
  });

  it('gives the docker run flags for those fields', () => {
    expect(dockerRunFlags(dockerHostConfigFor(hardQuotaReading))).toEqual(['--cpu-shares=4', '--cpu-quota=3906', '--cpu-period=1000000', `--memory=${256 * MiB}b`]);
    expect(dockerRunFlags(dockerHostConfigFor(incident))).toEqual(['--cpu-shares=4', `--memory-reservation=${256 * MiB}b`]);
  });
});

describe('cloudWatchCpuUtilization', () => {
  it('divides units used by units reserved, so 0.36 vCPU on 4 units reads about 9,100 %', () => {
    expect(cloudWatchCpuUtilization(0.356 * 60, 60, 4)).toBeCloseTo(9113.6, 1);
    expect(cloudWatchCpuUtilization(1, 1, 1024)).toBeCloseTo(100, 5);
    expect(cloudWatchCpuUtilization(1, 0, 4)).toBe(0);
  });
});
