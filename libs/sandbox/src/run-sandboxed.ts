import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Cgroup, CgroupStats } from './cgroup';
import { cgroupLimitsFor, cloudWatchCpuUtilization, detectCgroups, type CgroupDetection, type CgroupLimits, type ResourceProfile } from '@storage-builder/resources';
import { CgroupTree } from './cgroup-tree';
import { probeEnvironment, readProbeReports, type ChildProbeReport } from './child-probe-report';

export interface SandboxRunOptions {
  command: string;
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  profile: ResourceProfile;
  /**
   * `enforce` puts the child (and the profile's neighbours) in cgroups with the profile's
   * limits and fails if it cannot; `unconstrained` runs the child as it is, no neighbours.
   * @defaultValue `'enforce'`
   */
  mode?: 'enforce' | 'unconstrained';
  signal?: AbortSignal;
  /** @defaultValue {@link DEFAULT_SAMPLE_INTERVAL_MS} */
  sampleIntervalMs?: number;
  /**
   * Where cgroups are and whether they can be used.
   * @defaultValue what {@link detectCgroups} finds on this machine
   */
  cgroups?: CgroupDetection;
  /**
   * Holds the CPU limits and the neighbours back until the child has started: they begin
   * when the child prints `readyLine`, and the child is then sent `goLine` on stdin. Memory
   * limits apply from the start, since Node sizes its heap at start-up. Wall time, CPU,
   * throttling and CPUUtilization then cover the phase after the gate only; start-up time
   * is reported apart. Without it, a long-running worker's one-off start-up would weigh
   * as much as its work under a 4-unit weight.
   */
  startGate?: { readyLine: string; goLine: string };
  /**
   * On abort the child gets SIGTERM, and SIGKILL this much later if it is still there, so a
   * Node child can still write its probe report.
   * @defaultValue {@link DEFAULT_KILL_GRACE_MS}
   */
  killGraceMs?: number;
  /** Called with each chunk the child prints; the last {@link OUTPUT_TAIL_BYTES} are kept either way. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void;
}

export const DEFAULT_SAMPLE_INTERVAL_MS = 200;
export const DEFAULT_KILL_GRACE_MS = 5_000;
export const OUTPUT_TAIL_BYTES = 64 * 1024;

export type SandboxOutcome = 'exited' | 'oom-killed' | 'heap-exhausted' | 'killed-by-signal' | 'aborted';

export interface SandboxSample {
  readonly atSeconds: number;
  readonly cpuSeconds: number;
  readonly memoryBytes: number;
  readonly nrThrottled: number;
}

export interface SandboxResult {
  readonly outcome: SandboxOutcome;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly mode: 'cgroup-v1' | 'cgroup-v2' | 'unconstrained';
  readonly limits: CgroupLimits;
  /** From the gate (or the start, without one) to the exit. */
  readonly wallSeconds: number;
  /** Start-up time before the gate opened; 0 without a gate or when the child never got ready. */
  readonly startupSeconds: number;
  /** CPU used by the child and its descendants: the cgroup's count, or the probe's where there is no cgroup. */
  readonly cpuSeconds: number;
  readonly throttling?: { readonly periods: number; readonly throttledPeriods: number; readonly throttledSeconds: number };
  readonly memory: { readonly peakBytes: number | undefined; readonly oomKills: number };
  /** CloudWatch-style CPUUtilization (used ÷ reserved units × 100); undefined with no reservation. */
  readonly cpuUtilizationPercent: number | undefined;
  readonly neighbours: { readonly count: number; readonly cpuSeconds: number };
  readonly probe: ChildProbeReport | undefined;
  readonly samples: readonly SandboxSample[];
  readonly stdout: string;
  readonly stderr: string;
}

/** A shell that writes its own pid into each cgroup, then becomes the command, so no instruction runs outside the group. */
const JOIN_THEN_EXEC = 'while [ "$1" != "--" ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
const JOIN_FAILED_EXIT_CODE = 125;
/** What a group gets before its gate opens, and what neighbours get by default: one vCPU's weight. */
const DEFAULT_CPU_SHARES = 1024;
const UNLIMITED_QUOTA = { quotaUs: -1, periodUs: 100_000 };
const BUSY_LOOP = ['/bin/sh', '-c', 'while :; do :; done'];

/**
 * Runs one command under an ECS resource profile and reports what the kernel and the
 * child saw. Every group and process it creates is removed before it returns, also when
 * the run fails, is aborted, or this process receives SIGINT or SIGTERM.
 */
export async function runSandboxed(options: SandboxRunOptions): Promise<SandboxResult> {
  const limits = cgroupLimitsFor(options.profile);
  const reportDir = mkdtempSync(path.join(tmpdir(), 'storage-builder-probe-'));
  const env = probeEnvironment(options.env ?? process.env, reportDir);
  const neighbours: ChildProcess[] = [];
  let tree: CgroupTree | undefined;

  const cleanUp = () => {
    for (const neighbour of neighbours) if (neighbour.exitCode === null) neighbour.kill('SIGKILL');
    tree?.destroy();
    rmSync(reportDir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    cleanUp();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    let subject: Cgroup | undefined;
    const neighbourGroups: Cgroup[] = [];
    const gate = options.startGate;
    if ((options.mode ?? 'enforce') === 'enforce') {
      const detection = options.cgroups ?? detectCgroups();
      if (!detection.ok) throw new Error(`cannot enforce resource profile '${options.profile.name}': ${detection.reason}. Run with --unconstrained to run without limits.`);
      tree = new CgroupTree(detection.hierarchy);
      subject = tree.group('subject');
      subject.apply(gate ? { ...limits, cpuShares: DEFAULT_CPU_SHARES, cpuQuota: undefined } : limits);
    }
    const cgroupTree = tree;
    const startNeighbours = () => {
      if (!cgroupTree) return;
      for (let i = 0; i < (options.profile.neighbours?.count ?? 0); i++) {
        const group = cgroupTree.group(`neighbour-${i}`);
        group.apply({ cpuShares: options.profile.neighbours?.cpu ?? DEFAULT_CPU_SHARES, notes: [] });
        neighbourGroups.push(group);
        neighbours.push(spawnInGroup(group, BUSY_LOOP, { stdio: 'ignore' }));
      }
    };
    if (!gate) startNeighbours();
    const mode = tree === undefined ? 'unconstrained' : tree.version === 1 ? 'cgroup-v1' : 'cgroup-v2';

    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    const child = subject
      ? spawnInGroup(subject, [options.command, ...(options.args ?? [])], { env, cwd: options.cwd, stdin: gate !== undefined })
      : spawn(options.command, [...(options.args ?? [])], { env, cwd: options.cwd, stdio: [gate ? 'pipe' : 'ignore', 'pipe', 'pipe'] });

    // What the counters read when the gate opened; the figures reported are the difference.
    let atGate: { seconds: number; stats: CgroupStats | undefined } | undefined;
    const openGate = () => {
      if (atGate || !gate) return;
      subject?.apply({ cpuShares: limits.cpuShares, cpuQuota: limits.cpuQuota ?? UNLIMITED_QUOTA, notes: [] });
      startNeighbours();
      atGate = { seconds: elapsed(), stats: subject?.stats() };
      child.stdin?.write(`${gate.goLine}\n`);
    };

    const output = { stdout: '', stderr: '' };
    let partialLine = '';
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]?.setEncoding('utf8').on('data', (chunk: string) => {
        output[stream] = (output[stream] + chunk).slice(-OUTPUT_TAIL_BYTES);
        options.onOutput?.(stream, chunk);
        if (stream === 'stdout' && gate && !atGate) {
          const lines = (partialLine + chunk).split('\n');
          partialLine = lines.pop() ?? '';
          if (lines.includes(gate.readyLine)) openGate();
        }
      });
    }

    const samples: SandboxSample[] = [];
    let peakSeen = 0;
    const sample = () => {
      if (!subject) return;
      const stats = subject.stats();
      peakSeen = Math.max(peakSeen, stats.memoryCurrentBytes);
      samples.push({ atSeconds: elapsed(), cpuSeconds: stats.cpuUsageNs / 1e9, memoryBytes: stats.memoryCurrentBytes, nrThrottled: stats.nrThrottled });
    };
    const sampler = setInterval(sample, options.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS);
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const { exitCode, signal } = await new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, sig) => resolve({ exitCode: code, signal: sig }));
    }).finally(() => {
      clearInterval(sampler);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
    });
    const wallSeconds = elapsed();
    sample();

    if (subject && exitCode === JOIN_FAILED_EXIT_CODE && output.stderr.includes('cgroup.procs')) {
      throw new Error(`the child could not join cgroup ${subject.name}: ${output.stderr.trim()}`);
    }
    const stats = subject ? sinceGate(subject.stats(), atGate?.stats) : undefined;
    const probe = readProbeReports(reportDir).main;
    const cpuSeconds = stats ? stats.cpuUsageNs / 1e9 : probe ? probe.cpuUserSeconds + probe.cpuSystemSeconds : 0;
    const reservedUnits = options.profile.task?.cpu ?? options.profile.container.cpu;
    const measuredWall = wallSeconds - (atGate?.seconds ?? 0);

    return {
      outcome: outcomeOf({ aborted: options.signal?.aborted ?? false, signal, oomKills: stats?.oomKills ?? 0, stderr: output.stderr }),
      exitCode,
      signal,
      mode,
      limits,
      wallSeconds: measuredWall,
      startupSeconds: atGate?.seconds ?? 0,
      cpuSeconds,
      ...(stats ? { throttling: { periods: stats.nrPeriods, throttledPeriods: stats.nrThrottled, throttledSeconds: stats.throttledNs / 1e9 } } : {}),
      memory: { peakBytes: stats ? Math.max(stats.memoryPeakBytes ?? 0, peakSeen) || undefined : probe?.maxRssBytes, oomKills: stats?.oomKills ?? 0 },
      cpuUtilizationPercent: reservedUnits ? cloudWatchCpuUtilization(cpuSeconds, measuredWall, reservedUnits) : undefined,
      neighbours: { count: neighbours.length, cpuSeconds: neighbourGroups.reduce((sum, g) => sum + g.stats().cpuUsageNs / 1e9, 0) },
      probe,
      samples,
      stdout: output.stdout,
      stderr: output.stderr,
    };
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    cleanUp();
  }
}

function spawnInGroup(
  group: Cgroup,
  command: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string | undefined; stdio?: 'ignore'; stdin?: boolean },
): ChildProcess {
  return spawn('/bin/sh', ['-c', JOIN_THEN_EXEC, 'sandbox-join', ...group.procsFiles, '--', ...command], {
    env: options.env,
    cwd: options.cwd,
    stdio: options.stdio === 'ignore' ? 'ignore' : [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
}

/** Counters accumulated after the gate: cumulative ones minus their value at the gate. */
function sinceGate(now: CgroupStats, atGate: CgroupStats | undefined): CgroupStats {
  if (!atGate) return now;
  return {
    ...now,
    cpuUsageNs: now.cpuUsageNs - atGate.cpuUsageNs,
    nrPeriods: now.nrPeriods - atGate.nrPeriods,
    nrThrottled: now.nrThrottled - atGate.nrThrottled,
    throttledNs: now.throttledNs - atGate.throttledNs,
  };
}

function outcomeOf(facts: { aborted: boolean; signal: NodeJS.Signals | null; oomKills: number; stderr: string }): SandboxOutcome {
  if (facts.aborted) return 'aborted';
  if (facts.oomKills > 0 && facts.signal === 'SIGKILL') return 'oom-killed';
  if (facts.stderr.includes('JavaScript heap out of memory')) return 'heap-exhausted';
  if (facts.signal !== null) return 'killed-by-signal';
  return 'exited';
}
