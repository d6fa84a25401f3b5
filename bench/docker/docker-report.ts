// The Docker flow's report: report.json for machines, report.md and report.html for people.
import { cell, fmtSeconds } from '../harness/figure-format';
import { barChart, reproduceHtml } from '../harness/reproduce-html';
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

export function dockerHtmlReport(report: DockerReproduceReport): string {
  return reproduceHtml(report, {
    title: 'Reproducing the Storage Builder incident with the worker image',
    machine: `Docker ${report.machine.dockerServer}, image ${report.machine.image} (${report.machine.imageId})`,
    charts: [
      barChart('UpdateAll job time', report.runs.map((r) => ({ label: r.title, value: r.jobSeconds, ...(r.projected ? { note: '(projected)' } : {}) })), 's'),
      barChart('CloudWatch-style CPUUtilization', report.runs.map((r) => ({ label: r.title, value: r.cpuUtilizationPercent })), '%'),
      barChart('Worker RSS (its /metrics, after the run)', report.runs.map((r) => ({ label: r.title, value: r.rssMiB })), 'MiB'),
    ],
    runs: {
      headers: ['run', 'status', 'job time', 'CPU-s', 'CPU share', 'CPUUtilization %', 'throttled periods', 'serialize calls/row', 'heap limit MiB', 'GC count', 'RSS MiB', 'start-up', 'snapshots'],
      rows: report.runs.map((r) => [
        r.title,
        `${r.status}${r.projected ? ' (projected)' : ''}${r.error ? `: ${r.error}` : ''}`,
        fmtSeconds(r.jobSeconds),
        cell(r.jobCpuSeconds, 2),
        r.cpuShare === undefined ? '–' : `${cell(r.cpuShare * 100, 1)}%`,
        cell(r.cpuUtilizationPercent, 0),
        String(r.throttledPeriods ?? '–'),
        cell(r.serializeCallsPerRow, 4),
        cell(r.heapLimitMiB, 0),
        String(r.gcCount ?? '–'),
        cell(r.rssMiB, 0),
        fmtSeconds(r.startupSeconds),
        r.snapshots,
      ]),
    },
  });
}

export function writeDockerReports(dir: string, report: DockerReproduceReport): string[] {
  return writeReportFiles(dir, [
    ['report.json', reportJson(report)],
    ['report.md', dockerMarkdownReport(report)],
    ['report.html', dockerHtmlReport(report)],
  ]);
}
