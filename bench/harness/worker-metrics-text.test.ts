import { describe, expect, it } from 'vitest';
import { renderPrometheus, type MetricFamily } from '@storage-builder/worker';
import { parsePrometheusText, usageBetween, workerRuntimeFigures } from './worker-metrics-text';

/** The families the worker's runtime metrics publish, rendered by the worker's own renderer. */
function workerText(figures: { cpu: number; gc: Array<[string, number, number]>; throttled?: [number, number, number] }): string {
  const families: MetricFamily[] = [
    { name: 'storage_worker_runs_total', help: 'Runs.', type: 'counter', samples: [{ labels: { status: 'completed' }, value: 1 }] },
    { name: 'nodejs_gc_runs_total', help: 'GC.', type: 'counter', samples: figures.gc.map(([kind, count]) => ({ labels: { kind }, value: count })) },
    { name: 'nodejs_gc_pause_seconds_total', help: 'GC pause.', type: 'counter', samples: figures.gc.map(([kind, , seconds]) => ({ labels: { kind }, value: seconds })) },
    { name: 'process_cpu_seconds_total', help: 'CPU.', type: 'counter', samples: [{ value: figures.cpu }] },
    { name: 'process_resident_memory_bytes', help: 'RSS.', type: 'gauge', samples: [{ value: 123_456_789 }] },
    { name: 'nodejs_heap_size_limit_bytes', help: 'Heap limit.', type: 'gauge', samples: [{ value: 268_435_456 }] },
  ];
  if (figures.throttled) {
    const [periods, throttledPeriods, seconds] = figures.throttled;
    const labels = { cgroup: 'v2' };
    families.push(
      { name: 'container_cpu_cfs_periods_total', help: 'p', type: 'counter', samples: [{ labels, value: periods }] },
      { name: 'container_cpu_cfs_throttled_periods_total', help: 'tp', type: 'counter', samples: [{ labels, value: throttledPeriods }] },
      { name: 'container_cpu_cfs_throttled_seconds_total', help: 'ts', type: 'counter', samples: [{ labels, value: seconds }] },
    );
  }
  return renderPrometheus(families);
}

describe('parsePrometheusText', () => {
  it('reads names, escaped label values, special values and timestamps; skips comments and junk', () => {
    const text = [
      '# HELP a_total A thing.',
      '# TYPE a_total counter',
      'a_total{path="/x y",quote="say \\"hi\\"",brace="}"} 3',
      'b_gauge NaN',
      'c_gauge +Inf 1700000000000',
      'not a sample line',
      '',
    ].join('\n');
    const samples = parsePrometheusText(text);
    expect(samples[0]).toEqual({ name: 'a_total', labels: { path: '/x y', quote: 'say "hi"', brace: '}' }, value: 3 });
    expect(samples[1]!.value).toBeNaN();
    expect(samples[2]).toEqual({ name: 'c_gauge', labels: {}, value: Infinity });
    expect(samples).toHaveLength(3);
  });
});

describe('workerRuntimeFigures and usageBetween', () => {
  it('sums GC kinds, reads CPU, memory and throttling, and subtracts two readings', () => {
    const before = workerRuntimeFigures(workerText({ cpu: 1.5, gc: [['minor', 10, 0.01]], throttled: [100, 4, 0.2] }));
    const after = workerRuntimeFigures(workerText({ cpu: 9.75, gc: [['minor', 40, 0.05], ['major', 2, 0.03]], throttled: [900, 64, 3.2] }));
    expect(after).toEqual({
      cpuSeconds: 9.75,
      rssBytes: 123_456_789,
      heapLimitBytes: 268_435_456,
      gcCount: 42,
      gcPauseSeconds: expect.closeTo(0.08, 9),
      throttling: { periods: 900, throttledPeriods: 64, throttledSeconds: 3.2 },
    });
    const usage = usageBetween(before, after);
    expect(usage.cpuSeconds).toBeCloseTo(8.25, 9);
    expect(usage.gcCount).toBe(32);
    expect(usage.throttledPeriods).toBe(60);
    expect(usage.throttledSeconds).toBeCloseTo(3, 9);
    expect(usage.heapLimitBytes).toBe(268_435_456);
  });

  it('counts a declared counter without samples as zero, and leaves what is not published undefined', () => {
    const figures = workerRuntimeFigures(workerText({ cpu: 0.5, gc: [] }));
    expect(figures.gcCount).toBe(0);
    expect(figures.throttling).toBeUndefined();
    expect(workerRuntimeFigures('').cpuSeconds).toBeUndefined();
    expect(usageBetween(figures, figures).throttledPeriods).toBeUndefined();
  });
});
