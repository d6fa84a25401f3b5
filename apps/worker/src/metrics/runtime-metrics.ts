import { constants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import { locateCpuStat, type CpuThrottling } from '@storage-builder/resources';
import type { MetricFamily } from './prometheus-text';

const GC_KINDS: Readonly<Record<number, string>> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * What the process can read about its own runtime: GC count and pause by kind, event-loop
 * delay, CPU, memory and V8 heap limit, and cgroup CPU throttling when `cpu.stat` is readable.
 * `stop()` disconnects the observers; it is safe to call twice.
 */
export class RuntimeMetrics {
  private readonly gc = new Map<string, { count: number; seconds: number }>();
  private readonly observer: PerformanceObserver;
  private readonly loopDelay: IntervalHistogram;
  private readonly cpuStat: (() => CpuThrottling | undefined) | undefined;
  private stopped = false;

  constructor() {
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
        const kind = GC_KINDS[detail?.kind ?? -1] ?? 'other';
        const current = this.gc.get(kind) ?? { count: 0, seconds: 0 };
        this.gc.set(kind, { count: current.count + 1, seconds: current.seconds + entry.duration / 1000 });
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
    this.loopDelay = monitorEventLoopDelay({ resolution: 20 });
    this.loopDelay.enable();
    this.cpuStat = locateCpuStat();
  }

  families(): MetricFamily[] {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const gc = [...this.gc.entries()];
    const delay = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
    const families: MetricFamily[] = [
      { name: 'nodejs_gc_runs_total', help: 'Garbage collections by kind, since start.', type: 'counter', samples: gc.map(([kind, v]) => ({ labels: { kind }, value: v.count })) },
      { name: 'nodejs_gc_pause_seconds_total', help: 'Time spent in garbage collection by kind, since start.', type: 'counter', samples: gc.map(([kind, v]) => ({ labels: { kind }, value: v.seconds })) },
      {
        name: 'nodejs_eventloop_delay_seconds',
        help: 'Event-loop delay since start (20 ms resolution).',
        type: 'gauge',
        samples: [
          { labels: { quantile: '0.5' }, value: delay(this.loopDelay.percentile(50)) },
          { labels: { quantile: '0.99' }, value: delay(this.loopDelay.percentile(99)) },
          { labels: { quantile: '1' }, value: delay(this.loopDelay.max) },
        ],
      },
      { name: 'process_cpu_seconds_total', help: 'User and system CPU time of this process.', type: 'counter', samples: [{ value: (cpu.user + cpu.system) / 1e6 }] },
      { name: 'process_resident_memory_bytes', help: 'Resident set size.', type: 'gauge', samples: [{ value: memory.rss }] },
      { name: 'nodejs_heap_used_bytes', help: 'V8 heap in use.', type: 'gauge', samples: [{ value: memory.heapUsed }] },
      {
        name: 'nodejs_heap_size_limit_bytes',
        help: 'V8 heap limit; Node sizes it from the constrained memory it sees, which differs between cgroup v1 and v2 hosts.',
        type: 'gauge',
        samples: [{ value: v8.getHeapStatistics().heap_size_limit }],
      },
    ];
    const throttling = this.cpuStat?.();
    if (throttling) {
      const labels = { cgroup: `v${throttling.cgroupVersion}` };
      families.push(
        { name: 'container_cpu_cfs_periods_total', help: 'CFS enforcement periods of this cgroup (cpu.stat nr_periods).', type: 'counter', samples: [{ labels, value: throttling.periods }] },
        { name: 'container_cpu_cfs_throttled_periods_total', help: 'Periods in which this cgroup was throttled (cpu.stat nr_throttled).', type: 'counter', samples: [{ labels, value: throttling.throttledPeriods }] },
        { name: 'container_cpu_cfs_throttled_seconds_total', help: 'Time this cgroup was throttled (cpu.stat).', type: 'counter', samples: [{ labels, value: throttling.throttledSeconds }] },
      );
    }
    return families;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.observer.disconnect();
    this.loopDelay.disable();
  }
}
