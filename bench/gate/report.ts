// The gate's outputs: github-action-benchmark `customSmallerIsBetter` JSON, Bencher Metric
// Format (BMF) JSON, and a Markdown summary.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fmt, judgementTable, type Judgement, type Measurement } from './metrics';

/** github-action-benchmark customSmallerIsBetter: [{ name, unit, value, extra? }]. */
export function benchmarkJson(measured: readonly Measurement[]): { name: string; unit: string; value: number; extra?: string }[] {
  return measured.map((m) => ({
    name: m.name,
    unit: m.unit,
    value: m.value,
    ...(m.samples && m.samples.length > 1 ? { extra: `${m.kind}; samples ${m.samples.map((s) => fmt(s)).join(', ')}` } : { extra: m.kind }),
  }));
}

/** Bencher measure slug for a unit. */
function measureSlug(unit: string): string {
  return unit
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'value';
}

/** Bencher Metric Format: { benchmark: { measure: { value, lower_value?, upper_value? } } }. */
export function bmfJson(measured: readonly Measurement[]): Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>> {
  const out: Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>> = {};
  for (const m of measured) {
    const metric: { value: number; lower_value?: number; upper_value?: number } = { value: m.value };
    if (m.samples && m.samples.length > 1) {
      metric.lower_value = Math.min(...m.samples);
      metric.upper_value = Math.max(...m.samples);
    }
    out[`gate: ${m.name}`] = { [measureSlug(m.unit)]: metric };
  }
  return out;
}

export interface GateSummary {
  mode: string;
  verdict: 'pass' | 'FAIL' | 'baseline updated' | 'report only';
  judgements: readonly Judgement[];
  measured: readonly Measurement[];
  notes: readonly string[];
  environment: readonly string[];
  elapsedSeconds: number;
}

export function markdown(summary: GateSummary): string {
  const reported = summary.measured.filter((m) => m.kind === 'report');
  return [
    `# Performance gate (${summary.mode}): ${summary.verdict}`,
    '',
    ...summary.environment.map((line) => `- ${line}`),
    `- gate took ${summary.elapsedSeconds.toFixed(0)} s`,
    '',
    '## Gated: counters vs committed baseline, ratios vs committed thresholds',
    '',
    judgementTable(summary.judgements),
    '',
    '## Reported, never gated (medians of the interleaved rounds; samples in brackets)',
    '',
    '| figure | value | unit |',
    '|---|---|---|',
    ...reported.map((m) => `| ${m.name} | ${fmt(m.value)}${m.samples && m.samples.length > 1 ? ` [${m.samples.map((s) => fmt(s)).join(', ')}]` : ''} | ${m.unit} |`),
    '',
    ...(summary.notes.length > 0 ? ['## Notes', '', ...summary.notes.map((n) => `- ${n}`), ''] : []),
  ].join('\n');
}

export function writeReports(outDir: string, summary: GateSummary): string[] {
  mkdirSync(outDir, { recursive: true });
  const files = {
    'benchmark.json': `${JSON.stringify(benchmarkJson(summary.measured), null, 2)}\n`,
    'bmf.json': `${JSON.stringify(bmfJson(summary.measured), null, 2)}\n`,
    'gate.md': `${markdown(summary)}\n`,
  };
  return Object.entries(files).map(([name, text]) => {
    const file = path.join(outDir, name);
    writeFileSync(file, text);
    return file;
  });
}
