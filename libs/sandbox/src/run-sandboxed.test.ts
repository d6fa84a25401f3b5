import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runSandboxed } from './run-sandboxed';
import { ALLOCATE_FOREVER, canUseCgroups, isAlive, runGroupsOf, spinFor } from './testing/sandbox-fixtures';

const node = process.execPath;
const MiB = 1024 * 1024;

/** CPU seconds a group may use in `periods` CFS periods of `quotaUs`, with slack for partial periods. */
function withinQuota(periods: number, quotaUs: number): number {
  return ((periods + 2) * quotaUs * 1.2) / 1e6;
}

describe.runIf(canUseCgroups)('runSandboxed with cgroups', () => {
  it('holds a CPU-bound child to a 5% hard quota and counts the throttled periods', async () => {
    // 51 units = 0.0498 vCPU = 4,980 µs per 100 ms.
    const result = await runSandboxed({
      command: node,
      args: ['-e', spinFor(1_500)],
      profile: { name: 'five-percent', description: '', task: { cpu: 51 }, container: {} },
    });
    expect(result.outcome).toBe('exited');
    expect(result.limits.cpuQuota).toEqual({ quotaUs: 4_980, periodUs: 100_000 });
    expect(result.throttling!.throttledPeriods).toBeGreaterThan(0);
    expect(result.throttling!.throttledPeriods / result.throttling!.periods).toBeGreaterThan(0.5);
    // The kernel's own accounting: CPU used stays near the quota of the periods that passed
    // (slack for partial periods and accounting outside them); unthrottled it would be ~20x that.
    expect(result.cpuSeconds).toBeLessThanOrEqual(withinQuota(result.throttling!.periods, 4_980));
    expect(result.cpuUtilizationPercent).toBeLessThan(150);
  });

  it('reports a child that allocates past its hard limit as OOM-killed', async () => {
    const result = await runSandboxed({
      command: node,
      args: ['-e', ALLOCATE_FOREVER],
      profile: { name: 'hard-64', description: '', container: { cpu: 1024, memory: 64 } },
    });
    expect(result.outcome).toBe('oom-killed');
    expect(result.signal).toBe('SIGKILL');
    expect(result.memory.oomKills).toBeGreaterThanOrEqual(1);
    expect(result.memory.peakBytes).toBeGreaterThan(48 * MiB);
  });

  it('starves a 4-share child beside 1024-share neighbours, but not on an idle host', async () => {
    const neighbours = Math.max(2, availableParallelism());
    const contended = await runSandboxed({
      command: node,
      args: ['-e', spinFor(500)],
      profile: { name: 'incident', description: '', container: { cpu: 4 }, neighbours: { count: neighbours, cpu: 1024 } },
    });
    const idle = await runSandboxed({
      command: node,
      args: ['-e', spinFor(500)],
      profile: { name: 'incident-idle-host', description: '', container: { cpu: 4 } },
    });
    const contendedShare = contended.cpuSeconds / (contended.cpuSeconds + contended.neighbours.cpuSeconds);
    const contendedRate = contended.cpuSeconds / contended.wallSeconds;
    const idleRate = idle.cpuSeconds / idle.wallSeconds;
    console.log(
      `shares 4 vs ${neighbours} × 1024: child got ${(contendedShare * 100).toFixed(2)}% of the CPU time used; ` +
        `alone it ran at ${(idleRate * 100).toFixed(0)}% of a CPU`,
    );
    expect(contended.neighbours.count).toBe(neighbours);
    // Equal weights would give it a third. By weight it is owed 4 / (4 + n × 1024), well under
    // 1%; the scheduler's granularity gives it about 5% on a 2-core host, a little more when
    // processes outside these cgroups take CPU from the neighbours.
    expect(contendedShare).toBeLessThan(0.1);
    // Alone, the same weight costs nothing: the child runs at least ten times faster.
    expect(idleRate).toBeGreaterThan(10 * contendedRate);
  });

  it('lets a Node child size its heap from the hard limit, and records the heap limit', async () => {
    const limited = await runSandboxed({
      command: node,
      args: ['-e', '0'],
      profile: { name: 'hard-256', description: '', container: { cpu: 1024, memory: 256 } },
    });
    expect(limited.probe?.constrainedMemoryBytes).toBe(256 * MiB);
    expect(limited.probe!.heapSizeLimitBytes).toBeLessThan(512 * MiB);
  });

  it('leaves no group and no process behind, also when its own process is interrupted', async () => {
    const fixture = fileURLToPath(new URL('./testing/interrupted-run.ts', import.meta.url));
    const child = spawn(node, ['--import', 'tsx', fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
    const groups = runGroupsOf(child.pid!);
    expect(groups.length).toBeGreaterThan(0);

    child.kill('SIGINT');
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    expect(exit).toBe('SIGINT');
    expect(runGroupsOf(child.pid!)).toEqual([]);
    expect(runGroupsOf(process.pid)).toEqual([]);
  });
});

describe('runSandboxed without cgroups', () => {
  it('refuses to enforce a profile it cannot, and says how to run without limits', async () => {
    await expect(
      runSandboxed({
        command: node,
        args: ['-e', '0'],
        profile: { name: 'incident', description: '', container: { cpu: 4 } },
        cgroups: { ok: false, reason: 'no cgroup v2 mount and no v1 mount for cpu' },
      }),
    ).rejects.toThrow("cannot enforce resource profile 'incident': no cgroup v2 mount and no v1 mount for cpu. Run with --unconstrained");
  });

  it('runs unconstrained on request and still reports what the Node child saw', async () => {
    const result = await runSandboxed({
      command: node,
      args: ['-e', spinFor(200)],
      profile: { name: 'incident', description: '', container: { cpu: 4 } },
      mode: 'unconstrained',
    });
    expect(result.mode).toBe('unconstrained');
    expect(result.outcome).toBe('exited');
    expect(result.throttling).toBeUndefined();
    expect(result.probe?.heapSizeLimitBytes).toBeGreaterThan(0);
    expect(result.cpuSeconds).toBeGreaterThan(0.1);
    expect(isAlive(result.probe!.pid)).toBe(false);
  });
});

describe.runIf(canUseCgroups)('runSandboxed with a start gate', () => {
  it('applies the CPU limit only after the child is ready, and measures from there', async () => {
    const ready = `process.stdout.write('READY\\n'); process.stdin.once('data', () => { ${spinFor(1_000)} process.exit(0); });`;
    const result = await runSandboxed({
      command: node,
      args: ['-e', ready],
      profile: { name: 'five-percent', description: '', task: { cpu: 51 }, container: {} },
      startGate: { readyLine: 'READY', goLine: 'GO' },
    });
    expect(result.outcome).toBe('exited');
    expect(result.startupSeconds).toBeGreaterThan(0);
    expect(result.throttling!.throttledPeriods).toBeGreaterThan(0);
    // Only the gated phase counts: its CPU stays near the quota of the periods it spanned.
    expect(result.cpuSeconds).toBeLessThanOrEqual(withinQuota(result.throttling!.periods, 4_980));
  });
});
