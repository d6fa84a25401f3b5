import { BYTES_PER_MIB, estimateJob, jobMetricsHead, type JobMetrics } from '../harness/job-metrics';
import type { ScenarioRun } from './run-scenario';

/** What one scenario cost for the whole job in the cgroup sandbox, measured or, past a deadline, projected. */
export interface RunMetrics extends JobMetrics {
  readonly rowsPerSecond: number | undefined;
  readonly cpuShare: number;
  readonly peakMemoryMiB: number | undefined;
  /** GC pause time as a share of the process's life. */
  readonly gcPauseShare: number | undefined;
  readonly startupSeconds: number;
  readonly outcome: string;
}

/** Derives each run's job figures; a stopped run's from the whole-job CPU of its reference run (estimateJob). */
export function deriveMetrics(runs: readonly ScenarioRun[]): RunMetrics[] {
  const byId = new Map(runs.map((r) => [r.scenario.id, r]));
  return runs.map((run) => {
    const { sandbox, child } = run;
    const reference = byId.get(run.scenario.reference)?.child;
    const finished = run.status === 'finished' && child !== undefined;
    const job = estimateJob(
      run.status,
      finished ? { seconds: child.runWallSeconds, cpuSeconds: child.runCpuSeconds, rows: child.rows + child.tombstones } : undefined,
      { wallSeconds: sandbox.wallSeconds, cpuSeconds: sandbox.cpuSeconds },
      reference && { cpuSeconds: reference.runCpuSeconds, rows: reference.rows + reference.tombstones },
    );
    const lifeSeconds = sandbox.startupSeconds + sandbox.wallSeconds;
    const probe = sandbox.probe;
    return {
      // A run that did not finish is projected, or has no job time at all.
      ...jobMetricsHead(run.scenario, run.status, job, !finished),
      rowsPerSecond: job.jobSeconds && job.jobRows !== undefined ? job.jobRows / job.jobSeconds : undefined,
      cpuShare: sandbox.wallSeconds > 0 ? sandbox.cpuSeconds / sandbox.wallSeconds : 0,
      cpuUtilizationPercent: sandbox.cpuUtilizationPercent,
      throttledPeriods: sandbox.throttling?.throttledPeriods,
      serializeCallsPerRow: finished && child.rows + child.tombstones > 0 ? child.serializeCalls / (child.rows + child.tombstones) : undefined,
      peakMemoryMiB: sandbox.memory.peakBytes !== undefined ? sandbox.memory.peakBytes / BYTES_PER_MIB : undefined,
      heapLimitMiB: probe ? probe.heapSizeLimitBytes / BYTES_PER_MIB : undefined,
      gcCount: probe?.gc.count,
      gcPauseShare: probe && lifeSeconds > 0 ? probe.gc.pauseMs / 1000 / lifeSeconds : undefined,
      startupSeconds: sandbox.startupSeconds,
      outcome: sandbox.outcome,
    };
  });
}
