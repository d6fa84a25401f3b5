import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What a Node child reports about itself at exit (see child-probe.cjs). */
export interface ChildProbeReport {
  readonly pid: number;
  readonly argv: readonly string[];
  readonly exitCode: number;
  readonly heapSizeLimitBytes: number;
  /** What libuv says the cgroup allows (`process.constrainedMemory()`); this sizes the default heap. */
  readonly constrainedMemoryBytes: number | null;
  readonly cpuUserSeconds: number;
  readonly cpuSystemSeconds: number;
  readonly maxRssBytes: number;
  readonly gc: { readonly count: number; readonly pauseMs: number; readonly maxPauseMs: number };
  readonly eventLoopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

export const CHILD_PROBE_PATH = fileURLToPath(new URL('./child-probe.cjs', import.meta.url));
export const PROBE_PREFIX_VARIABLE = 'STORAGE_BUILDER_PROBE_PREFIX';

/** Environment that makes every Node process started with it write a probe report. */
export function probeEnvironment(env: NodeJS.ProcessEnv, reportDir: string): NodeJS.ProcessEnv {
  const require = `--require ${JSON.stringify(CHILD_PROBE_PATH)}`;
  return {
    ...env,
    NODE_OPTIONS: [env['NODE_OPTIONS'], require].filter(Boolean).join(' '),
    [PROBE_PREFIX_VARIABLE]: path.join(reportDir, 'probe-'),
  };
}

/**
 * Reads the reports the children wrote. Where a launcher started another Node process,
 * the one that used the most CPU is the workload; the others are launchers.
 */
export function readProbeReports(reportDir: string): { main: ChildProbeReport | undefined; all: ChildProbeReport[] } {
  const all: ChildProbeReport[] = [];
  for (const file of readdirSync(reportDir).filter((f) => f.startsWith('probe-') && f.endsWith('.json'))) {
    try {
      all.push(JSON.parse(readFileSync(path.join(reportDir, file), 'utf8')) as ChildProbeReport);
    } catch {
      // a process killed mid-write leaves a partial file; it has nothing to say
    }
  }
  const cpu = (r: ChildProbeReport) => r.cpuUserSeconds + r.cpuSystemSeconds;
  const main = all.reduce<ChildProbeReport | undefined>((best, r) => (!best || cpu(r) > cpu(best) ? r : best), undefined);
  return { main, all };
}
