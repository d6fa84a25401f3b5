// Reads the worker's GET /metrics (Prometheus text) into the figures the report needs: its
// CPU, its cgroup's throttling, its heap limit and GC. The worker measures these inside the
// container, so they are the container's own view under Docker's limits.

export interface PrometheusSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

const unescape = (value: string) => value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/** The samples of a text exposition (format 0.0.4); comments, blank and malformed lines are skipped. */
export function parsePrometheusText(text: string): PrometheusSample[] {
  const samples: PrometheusSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key!] = unescape(value!);
    samples.push({ name: match[1]!, labels, value: parseValue(match[3]!) });
  }
  return samples;
}

/** The worker's runtime figures at one moment; undefined where the worker did not report one. */
export interface WorkerRuntimeFigures {
  /** User and system CPU of the worker process since it started. */
  readonly cpuSeconds: number | undefined;
  readonly rssBytes: number | undefined;
  readonly heapLimitBytes: number | undefined;
  readonly gcCount: number | undefined;
  readonly gcPauseSeconds: number | undefined;
  /** From the container cgroup's `cpu.stat`; undefined when the worker cannot read it. */
  readonly throttling: { readonly periods: number; readonly throttledPeriods: number; readonly throttledSeconds: number } | undefined;
}

/** Sum over every label set of a metric; undefined when it has no sample. */
function total(samples: readonly PrometheusSample[], name: string): number | undefined {
  const values = samples.filter((s) => s.name === name).map((s) => s.value);
  return values.length === 0 ? undefined : values.reduce((sum, v) => sum + v, 0);
}

/** A counter the worker declares (`# TYPE`) but has no sample of yet, such as GC before the first collection, is zero. */
function counter(samples: readonly PrometheusSample[], text: string, name: string): number | undefined {
  return total(samples, name) ?? (new RegExp(`^# TYPE ${name} counter$`, 'm').test(text) ? 0 : undefined);
}

export function workerRuntimeFigures(metricsText: string): WorkerRuntimeFigures {
  const samples = parsePrometheusText(metricsText);
  const periods = total(samples, 'container_cpu_cfs_periods_total');
  const throttledPeriods = total(samples, 'container_cpu_cfs_throttled_periods_total');
  const throttledSeconds = total(samples, 'container_cpu_cfs_throttled_seconds_total');
  return {
    cpuSeconds: total(samples, 'process_cpu_seconds_total'),
    rssBytes: total(samples, 'process_resident_memory_bytes'),
    heapLimitBytes: total(samples, 'nodejs_heap_size_limit_bytes'),
    gcCount: counter(samples, metricsText, 'nodejs_gc_runs_total'),
    gcPauseSeconds: counter(samples, metricsText, 'nodejs_gc_pause_seconds_total'),
    throttling:
      periods !== undefined && throttledPeriods !== undefined && throttledSeconds !== undefined ? { periods, throttledPeriods, throttledSeconds } : undefined,
  };
}

/** What the worker used between two readings: the run's share of its counters. */
export interface WorkerUsage {
  readonly cpuSeconds: number | undefined;
  readonly gcCount: number | undefined;
  readonly gcPauseSeconds: number | undefined;
  readonly throttledPeriods: number | undefined;
  readonly throttledSeconds: number | undefined;
  /** Gauges at the second reading. */
  readonly rssBytes: number | undefined;
  readonly heapLimitBytes: number | undefined;
}

const minus = (after: number | undefined, before: number | undefined) => (after === undefined || before === undefined ? undefined : after - before);

export function usageBetween(before: WorkerRuntimeFigures, after: WorkerRuntimeFigures): WorkerUsage {
  return {
    cpuSeconds: minus(after.cpuSeconds, before.cpuSeconds),
    gcCount: minus(after.gcCount, before.gcCount),
    gcPauseSeconds: minus(after.gcPauseSeconds, before.gcPauseSeconds),
    throttledPeriods: minus(after.throttling?.throttledPeriods, before.throttling?.throttledPeriods),
    throttledSeconds: minus(after.throttling?.throttledSeconds, before.throttling?.throttledSeconds),
    rssBytes: after.rssBytes,
    heapLimitBytes: after.heapLimitBytes,
  };
}
