import type { RunMetrics } from './run-metrics';

/** One line of "claim in the write-up → measured here". */
export interface ClaimCheck {
  readonly claim: string;
  readonly writeUp: string;
  readonly measured: string;
  readonly verdict: string;
}

const pct = (x: number | undefined, digits = 0) => (x === undefined ? 'n/a' : `${x.toFixed(digits)}%`);
const times = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? 'n/a' : `${x.toFixed(x < 10 ? 2 : 0)}x`);
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);

export function checkClaims(metrics: readonly RunMetrics[]): ClaimCheck[] {
  const m = (id: string) => metrics.find((r) => r.id === id);
  const legacyIncident = m('none@incident');
  const legacyIdle = m('none@incident-idle-host');
  const legacyQuota = m('none@hard-quota-reading');
  const legacyRecommended = m('none@recommended');
  const batching = m('batching@recommended');
  const parallel = m('parallelism@recommended');
  const incremental = m('incremental@recommended');
  const allIncident = m('all@incident');
  const allRecommended = m('all@recommended');

  const fromResources = ratio(legacyIncident?.jobSeconds, legacyRecommended?.jobSeconds);
  const callsRatio = ratio(legacyRecommended?.serializeCallsPerRow, batching?.serializeCallsPerRow);
  const batchingFaster = legacyRecommended?.jobSeconds && batching?.jobSeconds ? (1 - batching.jobSeconds / legacyRecommended.jobSeconds) * 100 : undefined;
  const parallelSpeedup = ratio(legacyRecommended?.jobSeconds, parallel?.jobSeconds);
  const lessWork = legacyRecommended?.jobRows && incremental?.jobRows !== undefined ? (1 - incremental.jobRows / legacyRecommended.jobRows) * 100 : undefined;
  const lessCpu = legacyRecommended?.jobCpuSeconds && incremental?.jobCpuSeconds !== undefined ? (1 - incremental.jobCpuSeconds / legacyRecommended.jobCpuSeconds) * 100 : undefined;

  return [
    {
      claim: 'CPU reading',
      writeUp: '9113% CPU (4 units "not enough")',
      measured:
        `CPUUtilization ${pct(legacyIdle?.cpuUtilizationPercent)} on an idle host, ${pct(legacyIncident?.cpuUtilizationPercent)} beside busy neighbours, ` +
        `${pct(legacyQuota?.cpuUtilizationPercent)} under a 4-unit hard quota`,
      verdict:
        'A reading in the thousands of percent needs a soft reservation (cpu.shares): a hard quota holds it near 100%. ' +
        '9113% of 4 units is 0.36 vCPU actually used.',
    },
    {
      claim: 'Resources',
      writeUp: '150x from 4 → 2048 units and 256 → 2048/4096 MB',
      measured:
        `legacy job ${fmtSeconds(legacyIncident?.jobSeconds)} beside neighbours vs ${fmtSeconds(legacyRecommended?.jobSeconds)} recommended: ${times(fromResources)}; ` +
        `on an idle host ${fmtSeconds(legacyIdle?.jobSeconds)}`,
      verdict: 'The slowdown is contention on a busy host, not a cap: on an idle host the same 4 units cost nothing.',
    },
    {
      claim: 'Batching',
      writeUp: '12-15x less async overhead, 12-15% faster',
      measured: `serialize calls per row ${fmt(legacyRecommended?.serializeCallsPerRow)} → ${fmt(batching?.serializeCallsPerRow)} (${times(callsRatio)} fewer); job ${pct(batchingFaster)} faster`,
      verdict: 'Fewer awaited calls per row by orders of magnitude; the wall-clock gain is what the job table shows.',
    },
    {
      claim: 'Parallelism',
      writeUp: '4x from 4 targets at once',
      measured: `legacy job ${fmtSeconds(legacyRecommended?.jobSeconds)} → ${fmtSeconds(parallel?.jobSeconds)} with 4 targets in flight: ${times(parallelSpeedup)}`,
      verdict: 'Bounded by the CPUs the task can use and by the largest client, which one target must carry alone.',
    },
    {
      claim: 'Incremental sync',
      writeUp: '95-99% less work',
      measured: `rows processed ${pct(lessWork, 2)} fewer, CPU ${pct(lessCpu, 1)} less than a full legacy run`,
      verdict: 'Follows the changed rows; the fixed per-target cost (a transaction and a manifest read per target) remains.',
    },
    {
      claim: 'GC pressure',
      writeUp: 'GC pressure from 256 MB',
      measured:
        `with the incident's memory settings (idle host, so the run finishes): V8 heap limit ${fmt(legacyIdle?.heapLimitMiB)} MiB, ` +
        `${legacyIdle?.gcCount ?? 'n/a'} GCs, pauses ${pct(scale(legacyIdle?.gcPauseShare), 1)} of the process's life, peak ${fmt(legacyIdle?.peakMemoryMiB)} MiB; ` +
        `recommended: ${fmt(legacyRecommended?.heapLimitMiB)} MiB, ${legacyRecommended?.gcCount ?? 'n/a'} GCs, ${pct(scale(legacyRecommended?.gcPauseShare), 1)}`,
      verdict:
        'On cgroup v1 Node sizes its heap from the 256 MB soft limit, so it collects more often; the job time barely moves. ' +
        'The slowdown is the CPU weight, not the memory.',
    },
    {
      claim: 'All fixes',
      writeUp: '150 h → ~90 min',
      measured: `all fixes ${fmtSeconds(allIncident?.jobSeconds)} at the incident profile, ${fmtSeconds(allRecommended?.jobSeconds)} recommended, vs legacy ${fmtSeconds(legacyIncident?.jobSeconds)}`,
      verdict: 'See the projection for production scale.',
    },
  ];
}

const scale = (x: number | undefined) => (x === undefined ? undefined : x * 100);
function fmt(x: number | undefined): string {
  return x === undefined ? 'n/a' : x >= 100 ? x.toFixed(0) : x.toFixed(x >= 1 ? 2 : 4);
}
export function fmtSeconds(x: number | undefined): string {
  if (x === undefined) return 'n/a';
  if (x >= 3600) return `${(x / 3600).toFixed(1)} h`;
  if (x >= 120) return `${(x / 60).toFixed(1)} min`;
  return `${x.toFixed(x < 10 ? 2 : 1)} s`;
}
