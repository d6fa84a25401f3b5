// Preloaded (node --require) into a Node process the sandbox runs. At exit it writes what
// only the process itself can see: its V8 heap limit, GC count and pauses, event-loop
// delay, CPU time and peak RSS. Each process writes its own file, so a launcher that
// spawns another Node process (tsx, npx) does not overwrite the worker's report.
'use strict';
const { writeFileSync } = require('node:fs');
const v8 = require('node:v8');
const { PerformanceObserver, monitorEventLoopDelay } = require('node:perf_hooks');

const prefix = process.env.STORAGE_BUILDER_PROBE_PREFIX;
if (prefix) {
  const gc = { count: 0, pauseMs: 0, maxPauseMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count += 1;
      gc.pauseMs += entry.duration;
      gc.maxPauseMs = Math.max(gc.maxPauseMs, entry.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();

  process.on('exit', (code) => {
    const cpu = process.cpuUsage();
    const ms = (ns) => (Number.isFinite(ns) ? ns / 1e6 : 0);
    const report = {
      pid: process.pid,
      argv: process.argv.slice(1),
      exitCode: code,
      heapSizeLimitBytes: v8.getHeapStatistics().heap_size_limit,
      constrainedMemoryBytes: typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : null,
      cpuUserSeconds: cpu.user / 1e6,
      cpuSystemSeconds: cpu.system / 1e6,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      gc,
      eventLoopDelayMs: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) },
    };
    try {
      writeFileSync(`${prefix}${process.pid}.json`, JSON.stringify(report));
    } catch {
      // the sandbox removed its directory already; nothing to report to
    }
  });
}
