import { describe, expect, it } from 'vitest';
import { loadResourceProfile } from '../harness/load-profiles';
import { SCENARIOS } from '../harness/scenarios';
import { deriveDockerMetrics, dockerClaims } from './docker-run-metrics';
import type { DockerScenarioRun } from './docker-scenario';

const scenario = (id: string) => SCENARIOS.find((s) => s.id === id)!;
const profiles = new Map(['incident', 'recommended'].map((name) => [name, loadResourceProfile(name)]));

function finished(id: string, durationSeconds: number, cpuSeconds: number): DockerScenarioRun {
  return {
    scenario: scenario(id),
    status: 'finished',
    startupSeconds: 3,
    wallSeconds: durationSeconds + 0.5,
    run: { state: 'finished', status: 'completed', durationSeconds, targets: 50, completedTargets: 50, rows: 9_000, tombstones: 1_000, bytes: 1, serializeCalls: 10_050, failures: [] },
    progress: undefined,
    usage: { cpuSeconds, gcCount: 12, gcPauseSeconds: 0.1, throttledPeriods: 0, throttledSeconds: 0, rssBytes: 200 * 1024 * 1024, heapLimitBytes: 2048 * 1024 * 1024 },
    verification: { targets: 50, rows: 9_000, mismatches: [] },
  };
}

const stopped: DockerScenarioRun = {
  scenario: scenario('none@incident'),
  status: 'deadline',
  startupSeconds: 4,
  wallSeconds: 30,
  run: undefined,
  progress: { done: 3, total: 50 },
  usage: { cpuSeconds: 0.6, gcCount: 40, gcPauseSeconds: 0.4, throttledPeriods: undefined, throttledSeconds: undefined, rssBytes: 100 * 1024 * 1024, heapLimitBytes: 256 * 1024 * 1024 },
  verification: undefined,
};

describe('deriveDockerMetrics', () => {
  const runs = [finished('none@recommended', 10, 9), finished('all@recommended', 2, 3), stopped];
  const metrics = deriveDockerMetrics(runs, profiles);

  it('takes a finished run\'s figures as the worker measured them', () => {
    expect(metrics[0]).toMatchObject({ id: 'none@recommended', status: 'finished', jobSeconds: 10, projected: false, jobCpuSeconds: 9, jobRows: 10_000, serializeCallsPerRow: 1.005, heapLimitMiB: 2048, snapshots: 'equal' });
    // 9 CPU-s in 10.5 s against 2048 units: 0.857 vCPU = 878 units = 42.9%.
    expect(metrics[0]!.cpuUtilizationPercent).toBeCloseTo(((9 / 10.5) * 1024 * 100) / 2048, 6);
  });

  it('projects a stopped run from the CPU it got against the reference run\'s whole-job CPU', () => {
    // 0.6 CPU-s in 30 s; the job needs 9 CPU-s: 30 × 9 / 0.6 = 450 s.
    expect(metrics[2]).toMatchObject({ status: 'deadline', jobSeconds: 450, projected: true, jobCpuSeconds: 9, jobRows: 10_000, snapshots: 'not checked', serializeCallsPerRow: undefined });
    // 0.02 vCPU = 20.48 units against a 4-unit reservation.
    expect(metrics[2]!.cpuUtilizationPercent).toBeCloseTo((((0.6 / 30) * 1024) / 4) * 100, 6);
  });

  it('projects nothing without a finished reference run', () => {
    expect(deriveDockerMetrics([stopped], profiles)[0]).toMatchObject({ jobSeconds: undefined, projected: false });
  });

  it('states the legacy@incident vs all@recommended job time ratio and the snapshot check', () => {
    const claims = dockerClaims(metrics);
    expect(claims.find((c) => c.claim === 'All fixes')!.measured).toBe('legacy at incident 7.5 min (projected) vs all fixes at recommended 2.00 s: 225x');
    expect(claims.find((c) => c.claim === 'Resources')!.measured).toContain(': 45x');
    expect(claims.find((c) => c.claim === 'Correctness')!.measured).toBe("2 of 2 finished runs' snapshots equal the database (1 not checked: stopped or failed)");
  });
});
