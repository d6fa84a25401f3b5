// The cgroup sandbox flow's report: report.json for machines, report.md and report.html for people.
import { cell, fmtSeconds } from '../harness/figure-format';
import { reproduceMarkdown, type ReproduceReportBase } from '../harness/reproduce-report';
import { barChart, escapeHtml, htmlTable, reproduceHtml } from '../harness/reproduce-html';
import { reportJson, writeReportFiles } from '../harness/report-files';
import type { Projection } from './projection';
import type { RunMetrics } from './run-metrics';

export interface ReproduceReport extends ReproduceReportBase<{ readonly cgroups: string }, RunMetrics> {
  readonly projection: { readonly target: string; readonly assumptions: readonly string[]; readonly rows: readonly Projection[] };
  readonly projectionCheck?: { readonly scale: number; readonly scenario: string; readonly projectedSeconds: number; readonly measuredSeconds: number } | undefined;
}

export function runsTable(runs: readonly RunMetrics[]): string {
  return [
    '| run | status | job time | CPU-s | rows/s | CPU share | CPUUtilization % | throttled periods | serialize calls/row | heap limit MiB | GC count | peak MiB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.title} | ${r.status}${r.projected && r.jobSeconds ? ' (projected)' : ''} | ${fmtSeconds(r.jobSeconds)} | ${cell(r.jobCpuSeconds, 2)} | ${cell(r.rowsPerSecond, 0)} | ` +
        `${cell(r.cpuShare * 100, 1)}% | ${cell(r.cpuUtilizationPercent, 0)} | ${r.throttledPeriods ?? '–'} | ${cell(r.serializeCallsPerRow, 4)} | ${cell(r.heapLimitMiB, 0)} | ${r.gcCount ?? '–'} | ${cell(r.peakMemoryMiB, 0)} |`,
    ),
  ].join('\n');
}

function projectionTable(projection: ReproduceReport['projection']): string {
  return [
    '| run | projected UpdateAll | cost per run (USD) | reservation per month (USD) |',
    '|---|---|---|---|',
    ...projection.rows.map((p) => `| ${p.title} | ${fmtSeconds(p.seconds)} | ${p.costPerRunUsd.toFixed(4)} | ${p.monthlyReservationUsd.toFixed(2)} |`),
  ].join('\n');
}

export function markdownReport(report: ReproduceReport): string {
  const check = report.projectionCheck;
  return reproduceMarkdown(report, {
    title: 'Reproducing the Storage Builder incident',
    machine: `Node ${report.machine.node}, ${report.machine.cgroups}`,
    jobTime: 'Job time is the UpdateAll after start-up.',
    runsTable: runsTable(report.runs),
    moreSections: `
## Projection to ${report.projection.target}
${report.projection.assumptions.map((a) => `- ${a}`).join('\n')}

${projectionTable(report.projection)}
${check ? `\nCheck: at ${check.scale}x the measured scale, ${check.scenario} was projected at ${fmtSeconds(check.projectedSeconds)} and measured at ${fmtSeconds(check.measuredSeconds)} (${((check.measuredSeconds / check.projectedSeconds - 1) * 100).toFixed(0)}%).\n` : ''}`,
  });
}

export function htmlReport(report: ReproduceReport): string {
  return reproduceHtml(report, {
    title: 'Reproducing the Storage Builder incident',
    machine: `Node ${report.machine.node}, ${report.machine.cgroups}`,
    charts: [
      barChart('UpdateAll job time', report.runs.map((r) => ({ label: r.title, value: r.jobSeconds, ...(r.projected ? { note: '(projected)' } : {}) })), 's'),
      barChart('CloudWatch-style CPUUtilization', report.runs.map((r) => ({ label: r.title, value: r.cpuUtilizationPercent })), '%'),
      barChart('Serialize calls per row', report.runs.map((r) => ({ label: r.title, value: r.serializeCallsPerRow })), ''),
      barChart(`Projected UpdateAll at ${report.projection.target}`, report.projection.rows.map((p) => ({ label: p.title, value: p.seconds / 60 })), 'min'),
    ],
    runs: {
      headers: ['run', 'status', 'job time', 'CPU-s', 'rows/s', 'CPU share', 'CPUUtilization %', 'throttled periods', 'heap limit MiB', 'GC count', 'peak MiB'],
      rows: report.runs.map((r) => [r.title, `${r.status}${r.projected && r.jobSeconds ? ' (projected)' : ''}`, fmtSeconds(r.jobSeconds), cell(r.jobCpuSeconds, 2), cell(r.rowsPerSecond, 0), `${cell(r.cpuShare * 100, 1)}%`, cell(r.cpuUtilizationPercent, 0), String(r.throttledPeriods ?? '–'), cell(r.heapLimitMiB, 0), String(r.gcCount ?? '–'), cell(r.peakMemoryMiB, 0)]),
    },
    moreSections: `<h2>Projection to ${escapeHtml(report.projection.target)}</h2>
<ul>${report.projection.assumptions.map((a) => `<li>${escapeHtml(a)}</li>`).join('')}</ul>
${htmlTable(['run', 'projected UpdateAll', 'cost per run (USD)', 'reservation per month (USD)'], report.projection.rows.map((p) => [p.title, fmtSeconds(p.seconds), p.costPerRunUsd.toFixed(4), p.monthlyReservationUsd.toFixed(2)]))}`,
  });
}

export function writeReports(dir: string, report: ReproduceReport): string[] {
  return writeReportFiles(dir, [
    ['report.json', reportJson(report)],
    ['report.md', markdownReport(report)],
    ['report.html', htmlReport(report)],
  ]);
}
