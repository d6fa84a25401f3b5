import { WRITE_UP, type ClaimCheck } from '../harness/claim-check';
import { fmtSeconds, pct, ratio, times } from '../harness/figure-format';
import type { RunMetrics } from './run-metrics';

/** Every claim of the write-up, against the cgroup sandbox's runs. */
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
      ...WRITE_UP.cpuReading,
      measured:
        `CPUUtilization ${pct(legacyIdle?.cpuUtilizationPercent)} on an idle host, ${pct(legacyIncident?.cpuUtilizationPercent)} beside busy neighbours, ` +
        `${pct(legacyQuota?.cpuUtilizationPercent)} under a 4-unit hard quota`,
      verdict:
        'A reading in the thousands of percent needs a soft reservation (cpu.shares): a hard quota holds it near 100%. ' +
        '9113% of 4 units is 0.36 vCPU actually used.',
    },
    {
      ...WRITE_UP.resources,
      measured:
        `legacy job ${fmtSeconds(legacyIncident?.jobSeconds)} beside neighbours vs ${fmtSeconds(legacyRecommended?.jobSeconds)} recommended: ${times(fromResources)}; ` +
        `on an idle host ${fmtSeconds(legacyIdle?.jobSeconds)}`,
      verdict: 'The slowdown is contention on a busy host, not a cap: on an idle host the same 4 units cost nothing.',
    },
    {
      ...WRITE_UP.batching,
      measured: `serialize calls per row ${fmt(legacyRecommended?.serializeCallsPerRow)} → ${fmt(batching?.serializeCallsPerRow)} (${times(callsRatio)} fewer); job ${pct(batchingFaster)} faster`,
      verdict: 'Fewer awaited calls per row by orders of magnitude; the wall-clock gain is what the job table shows.',
    },
    {
      ...WRITE_UP.parallelism,
      measured: `legacy job ${fmtSeconds(legacyRecommended?.jobSeconds)} → ${fmtSeconds(parallel?.jobSeconds)} with 4 targets in flight: ${times(parallelSpeedup)}`,
      verdict: 'Bounded by the CPUs the task can use and by the largest client, which one target must carry alone.',
    },
    {
      ...WRITE_UP.incremental,
      measured: `rows processed ${pct(lessWork, 2)} fewer, CPU ${pct(lessCpu, 1)} less than a full legacy run`,
      verdict: 'Follows the changed rows; the fixed per-target cost (a transaction and a manifest read per target) remains.',
    },
    {
      ...WRITE_UP.gcPressure,
      measured:
        `with the incident's memory settings (idle host, so the run finishes): V8 heap limit ${fmt(legacyIdle?.heapLimitMiB)} MiB, ` +
        `${legacyIdle?.gcCount ?? 'n/a'} GCs, pauses ${pct(scale(legacyIdle?.gcPauseShare), 1)} of the process's life, peak ${fmt(legacyIdle?.peakMemoryMiB)} MiB; ` +
        `recommended: ${fmt(legacyRecommended?.heapLimitMiB)} MiB, ${legacyRecommended?.gcCount ?? 'n/a'} GCs, ${pct(scale(legacyRecommended?.gcPauseShare), 1)}`,
      verdict:
        'On cgroup v1 Node sizes its heap from the 256 MB soft limit, so it collects more often; the job time barely moves. ' +
        'The slowdown is the CPU weight, not the memory.',
    },
    {
      ...WRITE_UP.allFixes,
      measured: `all fixes ${fmtSeconds(allIncident?.jobSeconds)} at the incident profile, ${fmtSeconds(allRecommended?.jobSeconds)} recommended, vs legacy ${fmtSeconds(legacyIncident?.jobSeconds)}`,
      verdict: 'See the projection for production scale.',
    },
  ];
}

const scale = (x: number | undefined) => (x === undefined ? undefined : x * 100);
function fmt(x: number | undefined): string {
  return x === undefined ? 'n/a' : x >= 100 ? x.toFixed(0) : x.toFixed(x >= 1 ? 2 : 4);
}
