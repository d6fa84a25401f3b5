import type { DataProfile } from '@storage-builder/source-db';
import type { ResourceProfile } from '@storage-builder/resources';
import { profileTotals } from '../harness/profile-totals';
import type { RunMetrics } from './run-metrics';
import type { ScenarioRun } from './run-scenario';

/**
 * Prices used for the cost column: AWS Fargate, Linux/x86, us-east-1 on-demand, per hour.
 * On the EC2 launch type the reservation buys the same share of an instance; the figures
 * compare profiles, they are not a bill.
 */
export const PRICE_PER_VCPU_HOUR = 0.04048;
export const PRICE_PER_GB_HOUR = 0.004445;
const HOURS_PER_MONTH = 730;

export interface CostModel {
  /** Milliseconds per row and per target, from the per-target results of a finished run. */
  readonly msPerRow: number;
  readonly msPerTarget: number;
  /** Sum of target durations ÷ run wall time: 1 for a sequential run. */
  readonly overlap: number;
}

export interface Projection {
  readonly id: string;
  readonly title: string;
  readonly profile: string;
  readonly seconds: number;
  readonly costPerRunUsd: number;
  readonly monthlyReservationUsd: number;
}

/** Least squares of target duration on rows: duration = msPerRow × rows + msPerTarget. */
export function fitCostModel(run: ScenarioRun): CostModel | undefined {
  const points = run.child?.perTarget ?? [];
  if (points.length < 2 || !run.child) return undefined;
  const n = points.length;
  const meanX = points.reduce((s, p) => s + p.rows, 0) / n;
  const meanY = points.reduce((s, p) => s + p.durationMs, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.rows - meanX) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.rows - meanX) * (p.durationMs - meanY), 0);
  const msPerRow = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
  const msPerTarget = Math.max(0, meanY - msPerRow * meanX);
  const overlap = Math.max(1, points.reduce((s, p) => s + p.durationMs, 0) / (run.child.runWallSeconds * 1000));
  return { msPerRow, msPerTarget, overlap };
}

/**
 * Seconds of a job at another scale: the rows and targets through the fitted model, divided
 * by the overlap the run achieved, but never less than its largest target alone.
 */
export function projectSeconds(model: CostModel, totals: { rows: number; targets: number; largestTarget: number }, rowFraction = 1): number {
  const total = (model.msPerRow * totals.rows * rowFraction + model.msPerTarget * totals.targets) / model.overlap;
  const largest = model.msPerRow * totals.largestTarget * rowFraction + model.msPerTarget;
  return Math.max(total, largest) / 1000;
}

export function reservedHourlyUsd(profile: ResourceProfile): number {
  const units = profile.task?.cpu ?? profile.container.cpu ?? 0;
  const memoryMiB = profile.task?.memory ?? profile.container.memory ?? profile.container.memoryReservation ?? 0;
  return (units / 1024) * PRICE_PER_VCPU_HOUR + (memoryMiB / 1024) * PRICE_PER_GB_HOUR;
}

/**
 * Projects every run to `target` scale: the recommended run of its switches gives the cost
 * model; the ratio between this profile's job time and the recommended one's, measured here
 * on the same data, carries it to the other profiles.
 */
export function projectAll(input: {
  runs: readonly ScenarioRun[];
  metrics: readonly RunMetrics[];
  measuredProfile: DataProfile;
  target: DataProfile;
  resourceProfiles: ReadonlyMap<string, ResourceProfile>;
}): Projection[] {
  const totals = profileTotals(input.target);
  const measuredRows = profileTotals(input.measuredProfile).rows;
  const metricsById = new Map(input.metrics.map((m) => [m.id, m]));
  const projections: Projection[] = [];
  for (const run of input.runs) {
    const referenceRun = input.runs.find((r) => r.scenario.id === run.scenario.reference);
    const model = referenceRun ? fitCostModel(referenceRun) : undefined;
    const own = metricsById.get(run.scenario.id);
    const reference = metricsById.get(run.scenario.reference);
    if (!model || !own?.jobSeconds || !reference?.jobSeconds || reference.jobRows === undefined) continue;
    // An incremental job reads the changed share of the rows; the share measured here carries over.
    const rowFraction = run.scenario.switches.incremental ? reference.jobRows / measuredRows : 1;
    const seconds = projectSeconds(model, totals, rowFraction) * (own.jobSeconds / reference.jobSeconds);
    const profile = input.resourceProfiles.get(run.scenario.profile);
    const hourly = profile ? reservedHourlyUsd(profile) : 0;
    projections.push({
      id: run.scenario.id,
      title: run.scenario.title,
      profile: run.scenario.profile,
      seconds,
      costPerRunUsd: (hourly * seconds) / 3600,
      monthlyReservationUsd: hourly * HOURS_PER_MONTH,
    });
  }
  return projections;
}
