// Each Docker scenario's job figures, measured or, past a deadline, projected the way
// `npm run reproduce` projects (bench/reproduce/run-metrics.ts); and the write-up's claims
// this flow can speak to.
import { cloudWatchCpuUtilization, type ResourceProfile } from '@storage-builder/resources';
import { fmtSeconds, type ClaimCheck } from '../reproduce/claims';
import type { DockerScenarioRun } from './docker-scenario';

export interface DockerRunMetrics {
  readonly id: string;
  readonly title: string;
  readonly profile: string;
  readonly status: DockerScenarioRun['status'];
  /** Wall seconds of the whole UpdateAll as the worker measured it, or projected. */
  readonly jobSeconds: number | undefined;
  readonly projected: boolean;
  readonly jobCpuSeconds: number | undefined;
  readonly jobRows: number | undefined;
  /** Share of one CPU the worker got during the measured span. */
  readonly cpuShare: number | undefined;
  /** CloudWatch-style: CPU units used ÷ units reserved by the profile × 100. */
  readonly cpuUtilizationPercent: number | undefined;
  readonly throttledPeriods: number | undefined;
  readonly serializeCallsPerRow: number | undefined;
  readonly heapLimitMiB: number | undefined;
  readonly gcCount: number | undefined;
  readonly rssMiB: number | undefined;
  readonly startupSeconds: number | undefined;
  /** `equal`, `differs`, or `not checked` (stopped or failed before the check). */
  readonly snapshots: 'equal' | 'differs' | 'not checked';
  readonly error: string | undefined;
}

const MiB = 1024 * 1024;

/**
 * A run stopped at its deadline got `cpu` CPU-seconds in `wall` seconds; its reference run
 * (same switches, recommended profile) needed `C` for the whole job, so the whole job would
 * take `wall × C / cpu` at the same share: the work is CPU-bound.
 */
export function deriveDockerMetrics(runs: readonly DockerScenarioRun[], profiles: ReadonlyMap<string, ResourceProfile>): DockerRunMetrics[] {
  const byId = new Map(runs.map((r) => [r.scenario.id, r]));
  return runs.map((run) => {
    const reference = byId.get(run.scenario.reference);
    const referenceCpu = reference?.status === 'finished' ? reference.usage?.cpuSeconds : undefined;
    const referenceRows = reference?.status === 'finished' && reference.run ? reference.run.rows + reference.run.tombstones : undefined;
    const finished = run.status === 'finished' && run.run !== undefined;
    const cpu = run.usage?.cpuSeconds;
    const wall = run.wallSeconds;
    const jobSeconds = finished
      ? run.run!.durationSeconds
      : run.status === 'deadline' && referenceCpu !== undefined && cpu !== undefined && cpu > 0 && wall !== undefined
        ? (wall * referenceCpu) / cpu
        : undefined;
    const rows = finished ? run.run!.rows + run.run!.tombstones : undefined;
    const units = profiles.get(run.scenario.profile)?.container.cpu;
    return {
      id: run.scenario.id,
      title: run.scenario.title,
      profile: run.scenario.profile,
      status: run.status,
      jobSeconds,
      projected: !finished && jobSeconds !== undefined,
      jobCpuSeconds: finished ? cpu : referenceCpu,
      jobRows: rows ?? referenceRows,
      cpuShare: cpu !== undefined && wall !== undefined && wall > 0 ? cpu / wall : undefined,
      cpuUtilizationPercent: cpu !== undefined && wall !== undefined && units !== undefined ? cloudWatchCpuUtilization(cpu, wall, Math.max(units, 1)) : undefined,
      throttledPeriods: run.usage?.throttledPeriods,
      serializeCallsPerRow: finished && rows! > 0 ? run.run!.serializeCalls / rows! : undefined,
      heapLimitMiB: run.usage?.heapLimitBytes !== undefined ? run.usage.heapLimitBytes / MiB : undefined,
      gcCount: run.usage?.gcCount,
      rssMiB: run.usage?.rssBytes !== undefined ? run.usage.rssBytes / MiB : undefined,
      startupSeconds: run.startupSeconds,
      snapshots: run.verification === undefined ? 'not checked' : run.verification.mismatches.length === 0 ? 'equal' : 'differs',
      error: run.error,
    };
  });
}

const times = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(a / b < 10 ? 2 : 0)}x` : 'n/a');
const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(0)}%`);
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
      claim: 'CPU reading',
      writeUp: '9113% CPU (4 units "not enough")',
      measured: `legacy worker image at the incident's HostConfig: CPUUtilization ${pct(legacyIncident?.cpuUtilizationPercent)}, ${legacyIncident?.cpuShare?.toFixed(2) ?? 'n/a'} of a CPU, ${legacyIncident?.throttledPeriods ?? 'n/a'} throttled periods`,
      verdict: 'CpuShares is a weight, not a cap: readings in the thousands of percent against 4 units mean a fraction of one vCPU.',
    },
    {
      claim: 'Resources',
      writeUp: '150x from 4 → 2048 units and 256 → 2048/4096 MB',
      measured: `legacy job ${fmtSeconds(legacyIncident?.jobSeconds)}${projectedMark(legacyIncident)} at incident vs ${fmtSeconds(legacyRecommended?.jobSeconds)} at recommended: ${times(legacyIncident?.jobSeconds, legacyRecommended?.jobSeconds)}`,
      verdict: 'The same worker image, only the HostConfig limits and the neighbours\' competition differ.',
    },
    {
      claim: 'All fixes',
      writeUp: '150 h → ~90 min',
      measured: `legacy at incident ${fmtSeconds(legacyIncident?.jobSeconds)}${projectedMark(legacyIncident)} vs all fixes at recommended ${fmtSeconds(allRecommended?.jobSeconds)}: ${times(legacyIncident?.jobSeconds, allRecommended?.jobSeconds)}`,
      verdict: 'The job time ratio of the incident as deployed to the fixed worker as recommended, both in the worker image.',
    },
    {
      claim: 'Correctness',
      writeUp: 'snapshots equal the source',
      measured: `${checked.filter((r) => r.snapshots === 'equal').length} of ${checked.length} finished runs' snapshots equal the database (${metrics.length - checked.length} not checked: stopped or failed)`,
      verdict: checked.length > 0 && checked.every((r) => r.snapshots === 'equal') ? 'Every checked run published exactly the database.' : 'See the runs table.',
    },
  ];
}
