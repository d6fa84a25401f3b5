// The Docker flow's report: report.json for machines, report.md for people.
import { cell, fmtSeconds } from '../harness/figure-format';
import { reproduceMarkdown, type ReproduceReportBase } from '../harness/reproduce-report';
import { reportJson, writeReportFiles } from '../harness/report-files';
import type { DockerRunMetrics } from './docker-run-metrics';

export type DockerReproduceReport = ReproduceReportBase<{ readonly dockerServer: string; readonly image: string; readonly imageId: string }, DockerRunMetrics>;

export function dockerRunsTable(runs: readonly DockerRunMetrics[]): string {
  return [
    '| run | status | job time | CPU-s | CPU share | CPUUtilization % | throttled periods | serialize calls/row | heap limit MiB | GC count | RSS MiB | start-up | snapshots |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.title} | ${r.status}${r.projected ? ' (projected)' : ''}${r.error ? `: ${r.error.replace(/\|/g, '\\|')}` : ''} | ${fmtSeconds(r.jobSeconds)} | ${cell(r.jobCpuSeconds, 2)} | ` +
        `${r.cpuShare === undefined ? '–' : `${cell(r.cpuShare * 100, 1)}%`} | ${cell(r.cpuUtilizationPercent, 0)} | ${r.throttledPeriods ?? '–'} | ${cell(r.serializeCallsPerRow, 4)} | ` +
        `${cell(r.heapLimitMiB, 0)} | ${r.gcCount ?? '–'} | ${cell(r.rssMiB, 0)} | ${fmtSeconds(r.startupSeconds)} | ${r.snapshots} |`,
    ),
  ].join('\n');
}

export function dockerMarkdownReport(report: DockerReproduceReport): string {
  return reproduceMarkdown(report, {
    title: 'Reproducing the Storage Builder incident with the worker image',
    machine: `Docker ${report.machine.dockerServer}, image ${report.machine.image} (${report.machine.imageId})`,
    jobTime: "Job time is the worker's own UpdateAll duration.",
    runsTable: dockerRunsTable(report.runs),
  });
}

export function writeDockerReports(dir: string, report: DockerReproduceReport): string[] {
  return writeReportFiles(dir, [
    ['report.json', reportJson(report)],
    ['report.md', dockerMarkdownReport(report)],
  ]);
}
