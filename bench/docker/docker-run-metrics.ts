// Each Docker scenario's job figures, measured or, past a deadline, projected as
// `npm run reproduce` projects them (bench/harness/job-metrics.ts); and the write-up's claims
// this flow can speak to.
import { cloudWatchCpuUtilization, type ResourceProfile } from '@storage-builder/resources';
import { WRITE_UP, type ClaimCheck } from '../harness/claim-check';
import { fmtSeconds, pct, ratio, times } from '../harness/figure-format';
import { BYTES_PER_MIB, estimateJob, jobMetricsHead, type JobMetrics } from '../harness/job-metrics';
import type { DockerScenarioRun } from './docker-scenario';

export interface DockerRunMetrics extends JobMetrics {
  /** Share of one CPU the worker got during the measured span. */
  readonly cpuShare: number | undefined;
  readonly rssMiB: number | undefined;
  /** `equal`, `differs`, or `not checked` (stopped or failed before the check). */
  readonly snapshots: 'equal' | 'differs' | 'not checked';
  readonly error: string | undefined;
}

/** Derives each run's job figures from the worker's own run status and /metrics; a stopped run's from its reference run (estimateJob). */
export function deriveDockerMetrics(runs: readonly DockerScenarioRun[], profiles: ReadonlyMap<string, ResourceProfile>): DockerRunMetrics[] {
  const byId = new Map(runs.map((r) => [r.scenario.id, r]));
  return runs.map((run) => {
    const reference = byId.get(run.scenario.reference);
    const finished = run.status === 'finished' && run.run !== undefined;
    const cpu = run.usage?.cpuSeconds;
    const wall = run.wallSeconds;
    const rows = finished ? run.run!.rows + run.run!.tombstones : undefined;
    const job = estimateJob(
      run.status,
      finished ? { seconds: run.run!.durationSeconds, cpuSeconds: cpu, rows: rows! } : undefined,
      { wallSeconds: wall, cpuSeconds: cpu },
      reference?.status === 'finished' ? { cpuSeconds: reference.usage?.cpuSeconds, rows: reference.run ? reference.run.rows + reference.run.tombstones : undefined } : undefined,
    );
    const units = profiles.get(run.scenario.profile)?.container.cpu;
    return {
      ...jobMetricsHead(run.scenario, run.status, job, !finished && job.jobSeconds !== undefined),
      cpuShare: cpu !== undefined && wall !== undefined && wall > 0 ? cpu / wall : undefined,
      cpuUtilizationPercent: cpu !== undefined && wall !== undefined && units !== undefined ? cloudWatchCpuUtilization(cpu, wall, Math.max(units, 1)) : undefined,
      throttledPeriods: run.usage?.throttledPeriods,
      serializeCallsPerRow: finished && rows! > 0 ? run.run!.serializeCalls / rows! : undefined,
      heapLimitMiB: run.usage?.heapLimitBytes !== undefined ? run.usage.heapLimitBytes / BYTES_PER_MIB : undefined,
      gcCount: run.usage?.gcCount,
      rssMiB: run.usage?.rssBytes !== undefined ? run.usage.rssBytes / BYTES_PER_MIB : undefined,
      startupSeconds: run.startupSeconds,
      snapshots: run.verification === undefined ? 'not checked' : run.verification.mismatches.length === 0 ? 'equal' : 'differs',
      error: run.error,
    };
  });
}

const projectedMark = (m: DockerRunMetrics | undefined) => (m?.projected ? ' (projected)' : '');

/** The write-up's claims, as far as the Docker scenarios speak to them. */
export function dockerClaims(metrics: readonly DockerRunMetrics[]): ClaimCheck[] {
  const m = (id: string) => metrics.find((r) => r.id === id);
  const legacyIncident = m('none@incident');
  const legacyRecommended = m('none@recommended');
  const allRecommended = m('all@recommended');
  const checked = metrics.filter((r) => r.snapshots !== 'not checked');
  return [
    {
      ...WRITE_UP.cpuReading,
      measured: `legacy worker image at the incident's HostConfig: CPUUtilization ${pct(legacyIncident?.cpuUtilizationPercent)}, ${legacyIncident?.cpuShare?.toFixed(2) ?? 'n/a'} of a CPU, ${legacyIncident?.throttledPeriods ?? 'n/a'} throttled periods`,
      verdict: 'CpuShares is a weight, not a cap: readings in the thousands of percent against 4 units mean a fraction of one vCPU.',
    },
    {
      ...WRITE_UP.resources,
      measured: `legacy job ${fmtSeconds(legacyIncident?.jobSeconds)}${projectedMark(legacyIncident)} at incident vs ${fmtSeconds(legacyRecommended?.jobSeconds)} at recommended: ${times(ratio(legacyIncident?.jobSeconds, legacyRecommended?.jobSeconds))}`,
      verdict: 'The same worker image, only the HostConfig limits and the neighbours\' competition differ.',
    },
    {
      ...WRITE_UP.allFixes,
      measured: `legacy at incident ${fmtSeconds(legacyIncident?.jobSeconds)}${projectedMark(legacyIncident)} vs all fixes at recommended ${fmtSeconds(allRecommended?.jobSeconds)}: ${times(ratio(legacyIncident?.jobSeconds, allRecommended?.jobSeconds))}`,
      verdict: 'The job time ratio of the incident as deployed to the fixed worker as recommended, both in the worker image.',
    },
    {
      ...WRITE_UP.correctness,
      measured: `${checked.filter((r) => r.snapshots === 'equal').length} of ${checked.length} finished runs' snapshots equal the database (${metrics.length - checked.length} not checked: stopped or failed)`,
      verdict: checked.length > 0 && checked.every((r) => r.snapshots === 'equal') ? 'Every checked run published exactly the database.' : 'See the runs table.',
    },
  ];
}
