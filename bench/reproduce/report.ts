// The cgroup sandbox flow's report: report.json for machines, report.md and report.html for people.
import { cell, fmtSeconds } from '../harness/figure-format';
import { reproduceMarkdown, type ReproduceReportBase } from '../harness/reproduce-report';
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

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

/** A horizontal bar chart as inline SVG, log-scaled when values span orders of magnitude. */
function barChart(title: string, bars: ReadonlyArray<{ label: string; value: number | undefined; note?: string }>, unit: string): string {
  const shown = bars.filter((b): b is { label: string; value: number; note?: string } => b.value !== undefined && Number.isFinite(b.value) && b.value > 0);
  if (shown.length === 0) return '';
  const max = Math.max(...shown.map((b) => b.value));
  const min = Math.min(...shown.map((b) => b.value));
  const log = max / min > 100;
  const width = (v: number) => (log ? (Math.log10(v / min) + 0.3) / (Math.log10(max / min) + 0.3) : v / max) * 380;
  const rowHeight = 22;
  const rows = shown
    .map((b, i) => {
      const y = 28 + i * rowHeight;
      return `<text x="0" y="${y + 14}" class="label">${escapeHtml(b.label)}</text><rect x="300" y="${y}" width="${width(b.value).toFixed(1)}" height="16" class="bar"/><text x="${(305 + width(b.value)).toFixed(1)}" y="${y + 13}" class="value">${b.value >= 100 ? b.value.toFixed(0) : b.value >= 1 ? b.value.toFixed(2) : b.value.toPrecision(2)} ${unit}${b.note ? ` ${escapeHtml(b.note)}` : ''}</text>`;
    })
    .join('');
  return `<figure><svg viewBox="0 0 820 ${40 + shown.length * rowHeight}" role="img" aria-label="${escapeHtml(title)}"><text x="0" y="16" class="title">${escapeHtml(title)}${log ? ' (log scale)' : ''}</text>${rows}</svg></figure>`;
}

export function htmlReport(report: ReproduceReport): string {
  const table = (headers: string[], rows: string[][]) =>
    `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const charts = [
    barChart('UpdateAll job time', report.runs.map((r) => ({ label: r.title, value: r.jobSeconds, ...(r.projected ? { note: '(projected)' } : {}) })), 's'),
    barChart('CloudWatch-style CPUUtilization', report.runs.map((r) => ({ label: r.title, value: r.cpuUtilizationPercent })), '%'),
    barChart('Serialize calls per row', report.runs.map((r) => ({ label: r.title, value: r.serializeCallsPerRow })), ''),
    barChart(`Projected UpdateAll at ${report.projection.target}`, report.projection.rows.map((p) => ({ label: p.title, value: p.seconds / 60 })), 'min'),
  ].join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Storage Builder incident: reproduction report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #cfd5e0;padding:4px 6px;text-align:left;vertical-align:top}th{background:#eef1f6}
svg{width:100%;height:auto}.label{font-size:11px}.value{font-size:11px;fill:#333}.title{font-size:13px;font-weight:600}.bar{fill:#3b6fd8}
figure{margin:1rem 0}
</style></head><body>
<h1>Reproducing the Storage Builder incident</h1>
<p>Generated ${escapeHtml(report.generatedAt)} on ${report.machine.cpus} CPUs, Node ${escapeHtml(report.machine.node)}, ${escapeHtml(report.machine.cgroups)}. Data: ${escapeHtml(report.data.profile)}, ${report.data.rows.toLocaleString('en')} rows in ${report.data.targets} targets.</p>
<h2>Claims in the write-up → measured here</h2>
${table(['claim', 'write-up', 'measured here', 'verdict'], report.claims.map((c) => [c.claim, c.writeUp, c.measured, c.verdict]))}
<h2>Charts</h2>
${charts}
<h2>Runs</h2>
${table(
  ['run', 'status', 'job time', 'CPU-s', 'rows/s', 'CPU share', 'CPUUtilization %', 'throttled periods', 'heap limit MiB', 'GC count', 'peak MiB'],
  report.runs.map((r) => [r.title, `${r.status}${r.projected && r.jobSeconds ? ' (projected)' : ''}`, fmtSeconds(r.jobSeconds), cell(r.jobCpuSeconds, 2), cell(r.rowsPerSecond, 0), `${cell(r.cpuShare * 100, 1)}%`, cell(r.cpuUtilizationPercent, 0), String(r.throttledPeriods ?? '–'), cell(r.heapLimitMiB, 0), String(r.gcCount ?? '–'), cell(r.peakMemoryMiB, 0)]),
)}
<h2>Projection to ${escapeHtml(report.projection.target)}</h2>
<ul>${report.projection.assumptions.map((a) => `<li>${escapeHtml(a)}</li>`).join('')}</ul>
${table(['run', 'projected UpdateAll', 'cost per run (USD)', 'reservation per month (USD)'], report.projection.rows.map((p) => [p.title, fmtSeconds(p.seconds), p.costPerRunUsd.toFixed(4), p.monthlyReservationUsd.toFixed(2)]))}
<h2>Notes</h2>
<ul>${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>
</body></html>
`;
}

export function writeReports(dir: string, report: ReproduceReport): string[] {
  return writeReportFiles(dir, [
    ['report.json', reportJson(report)],
    ['report.md', markdownReport(report)],
    ['report.html', htmlReport(report)],
  ]);
}
