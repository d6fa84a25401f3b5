import { describe, expect, it } from 'vitest';
import { fitCostModel, projectSeconds, reservedHourlyUsd } from './projection';
import type { ScenarioRun } from './run-scenario';
import { SCENARIOS } from '../harness/scenarios';

function runWith(perTarget: Array<{ rows: number; durationMs: number }>, runWallSeconds: number): ScenarioRun {
  return {
    scenario: SCENARIOS[0]!,
    sandbox: {} as ScenarioRun['sandbox'],
    status: 'finished',
    child: { runWallSeconds, runCpuSeconds: 0, targets: perTarget.length, completedTargets: perTarget.length, rows: 0, tombstones: 0, bytes: 0, serializeCalls: 0, failed: [], perTarget },
  };
}

describe('fitCostModel and projectSeconds', () => {
  it('recovers per-row and per-target costs from exact points', () => {
    // 2 ms per 100 rows and 50 ms per target, sequential.
    const points = [100, 1_000, 5_000].map((rows) => ({ rows, durationMs: rows * 0.02 + 50 }));
    const model = fitCostModel(runWith(points, points.reduce((s, p) => s + p.durationMs, 0) / 1000))!;
    expect(model.msPerRow).toBeCloseTo(0.02, 6);
    expect(model.msPerTarget).toBeCloseTo(50, 6);
    expect(model.overlap).toBeCloseTo(1, 6);
    expect(projectSeconds(model, { rows: 1_000_000, targets: 600, largestTarget: 100_000 })).toBeCloseTo((20_000 + 30_000) / 1000, 6);
  });

  it('never projects a parallel run faster than its largest target alone', () => {
    const model = { msPerRow: 0.01, msPerTarget: 10, overlap: 4 };
    expect(projectSeconds(model, { rows: 1_000_000, targets: 10, largestTarget: 900_000 })).toBeCloseTo(9.01, 6);
  });
});

describe('reservedHourlyUsd', () => {
  it('prices the reserved units and the hard (else reserved) memory', () => {
    expect(reservedHourlyUsd({ name: 'r', description: '', container: { cpu: 2048, memory: 4096, memoryReservation: 2048 } })).toBeCloseTo(2 * 0.04048 + 4 * 0.004445, 9);
    expect(reservedHourlyUsd({ name: 'i', description: '', container: { cpu: 4, memoryReservation: 256 } })).toBeCloseTo((4 / 1024) * 0.04048 + 0.25 * 0.004445, 9);
  });
});
