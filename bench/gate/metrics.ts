// What the gate measures and how each figure is judged. Pure functions: unit-tested in
// metrics.test.ts, no services needed.
//
// - counter: deterministic (or nearly: peak RSS), compared with the committed baseline value
//   with a tolerance: `upper` fails above baseline + tolerance; `band` fails outside
//   baseline ± tolerance. tolerance = max(absolute, relative × baseline).
// - ratio: measured in the same job (A B A B, medians), smaller is better, fails above the
//   committed threshold; a failing ratio is re-measured once and judged on the median of
//   both runs' rounds.
// - report: wall times and CPU figures, reported and charted, never gated.

import { median } from '../harness/stats';

export type MetricKind = 'counter' | 'ratio' | 'report';
export type Group = 'diagnostic' | 'sync' | 'parallel';

export interface Measurement {
  name: string;
  unit: string;
  kind: MetricKind;
  value: number;
  /** Which measurement produced it; a failing ratio's group is measured again. */
  group: Group;
  /** Per-round samples, when there are several (min/max go into BMF). */
  samples?: number[];
  /** Where a count holds only on the same node binary and CPU (instruction counts): which those are. */
  platform?: string;
}

export interface Tolerance {
  relative: number;
  absolute: number;
}

export interface CounterDefinition {
  direction: 'upper' | 'band';
  tolerance: Tolerance;
}

export interface RatioDefinition {
  /** threshold = max(measured × headroom, measured + minMargin) when a baseline is written. */
  headroom: number;
  minMargin: number;
  /** The threshold never goes above this (1.0 = no speed-up at all must fail). */
  cap?: number;
}

/** Defaults for new baseline entries; the committed file's tolerance/headroom win once written. */
export function counterDefinition(name: string): CounterDefinition {
  // Unmodified 0.5-1.0 MiB per 100k rows in quick and normal runs; a leak of 100 bytes a row measured 11.4.
  if (name.startsWith('memory growth per 100k rows')) return { direction: 'upper', tolerance: { relative: 0, absolute: 3 } };
  if (name.startsWith('peak RSS')) return { direction: 'band', tolerance: { relative: 0.3, absolute: 16 } };
  if (name.startsWith('bytes per row')) return { direction: 'band', tolerance: { relative: 0.03, absolute: 0.5 } };
  // Valgrind's counts repeat to within 0.05% between runs (bench/gate/README.md): 3% is a real change.
  if (name.startsWith('instructions per row')) return { direction: 'upper', tolerance: { relative: 0.03, absolute: 0 } };
  if (name.startsWith('promises per row') && name.includes('end to end')) return { direction: 'upper', tolerance: { relative: 0.15, absolute: 0.05 } };
  if (name.startsWith('promises per row')) return { direction: 'upper', tolerance: { relative: 0.05, absolute: 0.01 } };
  if (name.startsWith('serialize calls per row')) return { direction: 'upper', tolerance: { relative: 0.05, absolute: 0.0005 } };
  // Per published target and for a run with nothing changed they repeat exactly: one more request fails.
  if ((name.startsWith('DB round trips') || name.startsWith('S3 requests')) && (name.includes('per published target') || name.includes('nothing changed'))) {
    return { direction: 'upper', tolerance: { relative: 0, absolute: 0.5 } };
  }
  if (name.startsWith('DB round trips') || name.startsWith('S3 requests')) return { direction: 'upper', tolerance: { relative: 0.1, absolute: 0.5 } };
  return { direction: 'upper', tolerance: { relative: 0.1, absolute: 0 } };
}

export function ratioDefinition(name: string): RatioDefinition {
  if (name.includes('incremental / full')) return { headroom: 2.5, minMargin: 0.05 };
  // Wall-time speed-up on 2 shared cores (worker, PostgreSQL and s3rver on the same cores) is noisy: per-round
  // ratios from 0.6 to 1.05 were seen in one run, so only a gross loss (parallel clearly slower than sequential) fails.
  if (name.includes('parallelism 4 / parallelism 1')) return { headroom: 1.4, minMargin: 0.3 };
  if (name.includes('worker (streaming) / native floor')) return { headroom: 1.4, minMargin: 0.2 };
  return { headroom: 1.35, minMargin: 0.1 };
}

/**
 * A ratio measured twice (a first run over its threshold, then the confirming run), as one
 * measurement: the median of both runs' samples. Judged pooled, a ratio whose first run was
 * a noisy outlier passes when the rounds together do, and a real regression, present in
 * every round, still fails.
 */
export function pooledMeasurement(first: Measurement, second: Measurement): Measurement {
  const samples = [...(first.samples ?? [first.value]), ...(second.samples ?? [second.value])];
  return { ...second, value: median(samples), samples };
}

export interface CounterBaseline extends CounterDefinition {
  unit: string;
  value: number;
  /** The measurement's platform when it has one: a count from another is not compared. */
  platform?: string;
}

export interface RatioBaseline extends RatioDefinition {
  unit: string;
  /** The median measured when the baseline was written. */
  measured: number;
  /** Fails above this. */
  threshold: number;
}

export interface ModeBaseline {
  /** The scale the figures belong to; a run at another scale is not compared. */
  scale: Record<string, number>;
  counters: Record<string, CounterBaseline>;
  ratios: Record<string, RatioBaseline>;
}

export type Verdict = 'pass' | 'FAIL' | 'new' | 'skipped';

export interface Judgement {
  name: string;
  kind: 'counter' | 'ratio';
  unit: string;
  group: Group;
  baseline: number | undefined;
  now: number | undefined;
  /** Human form of the allowed range, e.g. "≤ 0.52" or "120 – 200". */
  allowed: string;
  verdict: Verdict;
  /** The first measurement of a ratio that was re-measured (confirming run). */
  firstRun?: number;
  note?: string;
}

export function allowedRange(entry: CounterBaseline): { low: number; high: number } {
  const slack = Math.max(entry.tolerance.absolute, entry.tolerance.relative * Math.abs(entry.value));
  return { low: entry.direction === 'band' ? entry.value - slack : -Infinity, high: entry.value + slack };
}

export function judgeCounter(name: string, group: Group, entry: CounterBaseline | undefined, now: Measurement | undefined): Judgement {
  if (!entry) return { name, kind: 'counter', unit: now?.unit ?? '', group, baseline: undefined, now: now?.value, allowed: 'no baseline', verdict: 'new' };
  const { low, high } = allowedRange(entry);
  const allowed = Number.isFinite(low) ? `${fmt(low)} – ${fmt(high)}` : `≤ ${fmt(high)}`;
  if (!now) return { name, kind: 'counter', unit: entry.unit, group, baseline: entry.value, now: undefined, allowed, verdict: 'skipped' };
  if (entry.platform !== undefined && now.platform !== undefined && entry.platform !== now.platform) {
    const note = `counted on ${entry.platform}, this machine is ${now.platform}: write the baseline on this kind of machine to compare`;
    return { name, kind: 'counter', unit: entry.unit, group, baseline: entry.value, now: now.value, allowed, verdict: 'skipped', note };
  }
  // NaN (a count over nothing) must not pass as "not above the limit".
  const verdict = !Number.isFinite(now.value) || now.value > high || now.value < low ? 'FAIL' : 'pass';
  return { name, kind: 'counter', unit: entry.unit, group, baseline: entry.value, now: now.value, allowed, verdict };
}

export function judgeRatio(name: string, group: Group, entry: RatioBaseline | undefined, now: Measurement | undefined, skipNote?: string): Judgement {
  if (!entry) return { name, kind: 'ratio', unit: now?.unit ?? 'x', group, baseline: undefined, now: now?.value, allowed: 'no baseline', verdict: 'new' };
  const allowed = `≤ ${fmt(entry.threshold)}`;
  if (!now) return { name, kind: 'ratio', unit: entry.unit, group, baseline: entry.measured, now: undefined, allowed, verdict: 'skipped', ...(skipNote ? { note: skipNote } : {}) };
  return { name, kind: 'ratio', unit: entry.unit, group, baseline: entry.measured, now: now.value, allowed, verdict: now.value > entry.threshold ? 'FAIL' : 'pass' };
}

/** Every counter and ratio of the baseline (and any new measured one), judged. */
export function judgeAll(baseline: ModeBaseline, measured: readonly Measurement[], skipped: ReadonlyMap<string, string> = new Map()): Judgement[] {
  const byName = new Map(measured.map((m) => [m.name, m]));
  const out: Judgement[] = [];
  const seen = new Set<string>();
  for (const [name, entry] of Object.entries(baseline.counters)) {
    seen.add(name);
    const now = byName.get(name);
    out.push(judgeCounter(name, now?.group ?? 'diagnostic', entry, now));
  }
  for (const [name, entry] of Object.entries(baseline.ratios)) {
    seen.add(name);
    const now = byName.get(name);
    out.push(judgeRatio(name, now?.group ?? 'sync', entry, now, skipped.get(name)));
  }
  for (const m of measured) {
    if (seen.has(m.name) || m.kind === 'report') continue;
    out.push(m.kind === 'counter' ? judgeCounter(m.name, m.group, undefined, m) : judgeRatio(m.name, m.group, undefined, m));
  }
  return out;
}

/** A new baseline from a measurement; tolerances and headrooms already committed are kept. */
export function baselineFrom(measured: readonly Measurement[], scale: Record<string, number>, previous: ModeBaseline | undefined): ModeBaseline {
  const counters: Record<string, CounterBaseline> = {};
  const ratios: Record<string, RatioBaseline> = {};
  for (const m of measured) {
    if (m.kind === 'counter') {
      const kept = previous?.counters[m.name];
      const definition = kept ? { direction: kept.direction, tolerance: kept.tolerance } : counterDefinition(m.name);
      counters[m.name] = { unit: m.unit, value: Number(m.value.toPrecision(6)), ...definition, ...(m.platform !== undefined ? { platform: m.platform } : {}) };
    } else if (m.kind === 'ratio') {
      const kept = previous?.ratios[m.name];
      const definition = kept ? { headroom: kept.headroom, minMargin: kept.minMargin, ...(kept.cap !== undefined ? { cap: kept.cap } : {}) } : ratioDefinition(m.name);
      const threshold = Math.min(Math.max(m.value * definition.headroom, m.value + definition.minMargin), definition.cap ?? Infinity);
      ratios[m.name] = { unit: m.unit, measured: Number(m.value.toPrecision(4)), threshold: Number(threshold.toPrecision(3)), ...definition };
    }
  }
  return { scale, counters, ratios };
}

export function fmt(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(3);
  return value.toPrecision(3);
}

/** The table printed on failure (and in gate.md): metric | baseline | now | allowed | verdict. */
export function judgementTable(judgements: readonly Judgement[]): string {
  const rows = judgements.map((j) => [
    `${j.name}${j.unit ? ` (${j.unit})` : ''}`,
    fmt(j.baseline),
    j.firstRun !== undefined ? `${fmt(j.now)} (first run ${fmt(j.firstRun)})` : fmt(j.now),
    j.allowed,
    j.note ? `${j.verdict}: ${j.note}` : j.verdict,
  ]);
  const header = ['metric', 'baseline', 'now', 'allowed', 'verdict'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
