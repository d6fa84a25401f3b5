// report.html of `npm run reproduce` and `npm run reproduce:docker`: one self-contained page
// (inline CSS and SVG charts, nothing fetched), the flow's own charts and runs in the frame
// both share, as reproduce-report.ts does for report.md.
import type { ReproduceReportBase } from './reproduce-report';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

export function htmlTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** A horizontal bar chart as inline SVG, log-scaled when values span orders of magnitude. */
export function barChart(title: string, bars: ReadonlyArray<{ label: string; value: number | undefined; note?: string }>, unit: string): string {
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

export interface HtmlParts {
  readonly title: string;
  /** The machine after its CPU count: what ran the workers. */
  readonly machine: string;
  /** SVG figures from {@link barChart}; empty ones are left out. */
  readonly charts: readonly string[];
  readonly runs: { readonly headers: readonly string[]; readonly rows: readonly (readonly string[])[] };
  /** HTML between the runs and the notes. */
  readonly moreSections?: string;
}

export function reproduceHtml(report: ReproduceReportBase<object, unknown>, parts: HtmlParts): string {
  const { data } = report;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(parts.title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #cfd5e0;padding:4px 6px;text-align:left;vertical-align:top}th{background:#eef1f6}
svg{width:100%;height:auto}.label{font-size:11px}.value{font-size:11px;fill:#333}.title{font-size:13px;font-weight:600}.bar{fill:#3b6fd8}
figure{margin:1rem 0}
</style></head><body>
<h1>${escapeHtml(parts.title)}</h1>
<p>Generated ${escapeHtml(report.generatedAt)} on ${report.machine.cpus} CPUs, ${escapeHtml(parts.machine)}. Services: ${escapeHtml(report.machine.services.join('; '))}. Data: ${escapeHtml(data.profile)}, ${data.rows.toLocaleString('en')} rows in ${data.targets} targets.</p>
<h2>Claims in the write-up → measured here</h2>
${htmlTable(['claim', 'write-up', 'measured here', 'verdict'], report.claims.map((c) => [c.claim, c.writeUp, c.measured, c.verdict]))}
<h2>Charts</h2>
${parts.charts.filter(Boolean).join('\n')}
<h2>Runs</h2>
${htmlTable(parts.runs.headers, parts.runs.rows)}
${parts.moreSections ?? ''}
<h2>Notes</h2>
<ul>${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>
</body></html>
`;
}
