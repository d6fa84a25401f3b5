import type { ScenarioRun } from './run-scenario';

/** What one scenario cost for the whole job, measured or, past a deadline, projected. */
export interface RunMetrics {
  readonly id: string;
  readonly title: string;
  readonly profile: string;
  readonly status: ScenarioRun['status'];
  /** Wall seconds of the whole UpdateAll (after start-up). */
  readonly jobSeconds: number | undefined;
  readonly projected: boolean;
  /** CPU-seconds of the whole job. */
  readonly jobCpuSeconds: number | undefined;
  /** Rows and tombstones the whole job reads and writes. */
  readonly jobRows: number | undefined;
  readonly rowsPerSecond: number | undefined;
  /** Share of one CPU the worker got while it ran. */
  readonly cpuShare: number;
  readonly cpuUtilizationPercent: number | undefined;
  readonly throttledPeriods: number | undefined;
  readonly serializeCallsPerRow: number | undefined;
  readonly peakMemoryMiB: number | undefined;
  readonly heapLimitMiB: number | undefined;
  readonly gcCount: number | undefined;
  /** GC pause time as a share of the process's life. */
  readonly gcPauseShare: number | undefined;
  readonly startupSeconds: number;
  readonly outcome: string;
}

const MiB = 1024 * 1024;

/**
 * Derives each run's job figures. A run stopped at its deadline got `cpu` CPU-seconds in
 * `wall` seconds; its reference run needed `C` for the whole job, so the whole job would
 * take `wall × C / cpu` at the same share: the work is CPU-bound.
 */
export function deriveMetrics(runs: readonly ScenarioRun[]): RunMetrics[] {
  const byId = new Map(runs.map((r) => [r.scenario.id, r]));
  return runs.map((run) => {
    const { sandbox, child } = run;
    const reference = byId.get(run.scenario.reference)?.child;
    const finished = run.status === 'finished' && child !== undefined;
    const jobCpuSeconds = finished ? child.runCpuSeconds : reference?.runCpuSeconds;
    const jobRows = finished ? child.rows + child.tombstones : reference ? reference.rows + reference.tombstones : undefined;
    const jobSeconds = finished
      ? child.runWallSeconds
      : run.status === 'deadline' && reference && sandbox.cpuSeconds > 0
        ? (sandbox.wallSeconds * reference.runCpuSeconds) / sandbox.cpuSeconds
        : undefined;
    const lifeSeconds = sandbox.startupSeconds + sandbox.wallSeconds;
    const probe = sandbox.probe;
    return {
      id: run.scenario.id,
      title: run.scenario.title,
      profile: run.scenario.profile,
      status: run.status,
      jobSeconds,
      projected: !finished,
      jobCpuSeconds,
      jobRows,
      rowsPerSecond: jobSeconds && jobRows !== undefined ? jobRows / jobSeconds : undefined,
      cpuShare: sandbox.wallSeconds > 0 ? sandbox.cpuSeconds / sandbox.wallSeconds : 0,
      cpuUtilizationPercent: sandbox.cpuUtilizationPercent,
      throttledPeriods: sandbox.throttling?.throttledPeriods,
      serializeCallsPerRow: finished && child.rows + child.tombstones > 0 ? child.serializeCalls / (child.rows + child.tombstones) : undefined,
      peakMemoryMiB: sandbox.memory.peakBytes !== undefined ? sandbox.memory.peakBytes / MiB : undefined,
      heapLimitMiB: probe ? probe.heapSizeLimitBytes / MiB : undefined,
      gcCount: probe?.gc.count,
      gcPauseShare: probe && lifeSeconds > 0 ? probe.gc.pauseMs / 1000 / lifeSeconds : undefined,
      startupSeconds: sandbox.startupSeconds,
      outcome: sandbox.outcome,
    };
  });
}
