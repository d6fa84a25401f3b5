// A run's figures for the whole job, in both reproduce reports (report.json `runs`): measured
// to the end, or, for a run stopped at its deadline, projected from its reference run.
import type { Scenario, ScenarioStatus } from './scenarios';

export const BYTES_PER_MIB = 1024 * 1024;

/** The figures both reports give of every run; each flow adds its own. */
export interface JobMetrics {
  readonly id: string;
  readonly title: string;
  readonly profile: string;
  readonly status: ScenarioStatus;
  /** Wall seconds of the whole UpdateAll (after start-up), measured or projected. */
  readonly jobSeconds: number | undefined;
  readonly projected: boolean;
  /** CPU-seconds of the whole job. */
  readonly jobCpuSeconds: number | undefined;
  /** Rows and tombstones the whole job reads and writes. */
  readonly jobRows: number | undefined;
  /** Share of one CPU the worker got while it ran. */
  readonly cpuShare: number | undefined;
  /** CloudWatch-style: CPU units used ÷ units reserved by the profile × 100. */
  readonly cpuUtilizationPercent: number | undefined;
  readonly throttledPeriods: number | undefined;
  readonly serializeCallsPerRow: number | undefined;
  readonly heapLimitMiB: number | undefined;
  readonly gcCount: number | undefined;
  readonly startupSeconds: number | undefined;
}

/** The whole job as a run that finished measured it. */
export interface MeasuredJob {
  readonly seconds: number;
  readonly cpuSeconds: number | undefined;
  readonly rows: number;
}

/** What a run got while it was measured: a stopped run's share of the CPU. */
export interface MeasuredSpan {
  readonly wallSeconds: number | undefined;
  readonly cpuSeconds: number | undefined;
}

/** The whole job's CPU and rows, from the scenario's reference run (same switches, recommended profile). */
export interface ReferenceJob {
  readonly cpuSeconds: number | undefined;
  readonly rows: number | undefined;
}

export type JobEstimate = Pick<JobMetrics, 'jobSeconds' | 'jobCpuSeconds' | 'jobRows'>;

/**
 * The job's figures of one run: as it measured them when it finished (`measured`). A run
 * stopped at its deadline got `cpu` CPU-seconds in `wall` seconds; its reference run needed
 * `C` for the whole job, so the whole job would take `wall × C / cpu` at the same share: the
 * work is CPU-bound.
 */
export function estimateJob(status: ScenarioStatus, measured: MeasuredJob | undefined, span: MeasuredSpan, reference: ReferenceJob | undefined): JobEstimate {
  const { wallSeconds: wall, cpuSeconds: cpu } = span;
  const referenceCpu = reference?.cpuSeconds;
  const jobSeconds = measured
    ? measured.seconds
    : status === 'deadline' && referenceCpu !== undefined && cpu !== undefined && cpu > 0 && wall !== undefined
      ? (wall * referenceCpu) / cpu
      : undefined;
  return { jobSeconds, jobCpuSeconds: measured ? measured.cpuSeconds : referenceCpu, jobRows: measured ? measured.rows : reference?.rows };
}

/** The first fields of a run's metrics, in the order report.json has always listed them. */
export function jobMetricsHead(scenario: Scenario, status: ScenarioStatus, job: JobEstimate, projected: boolean) {
  return { id: scenario.id, title: scenario.title, profile: scenario.profile, status, jobSeconds: job.jobSeconds, projected, jobCpuSeconds: job.jobCpuSeconds, jobRows: job.jobRows };
}
