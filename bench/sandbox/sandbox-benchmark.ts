// Measures what each resource reading does to the same fixed CPU work: a Node child that
// computes a fixed number of iterations, run under each profile in turn (A B C D, A B C D, …),
// with medians and ratios against the unconstrained run.
//   npx tsx bench/sandbox/sandbox-benchmark.ts [--rounds 3] [--iterations 60000000]
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { ResourceProfile } from '@storage-builder/resources';
import { runSandboxed, type SandboxResult } from '@storage-builder/sandbox';
import { median } from '../harness/stats';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, iterations: { type: 'string', default: '60000000' } },
});
const rounds = Number(values.rounds);
const iterations = Number(values.iterations);
const work = `let x = 0; for (let i = 0; i < ${iterations}; i++) x = Math.sqrt(x + i); console.log(x > 0);`;

const profiles: ResourceProfile[] = [
  { name: 'unconstrained (1024 shares)', description: '', container: { cpu: 1024 } },
  { name: 'hard quota 5% (task cpu 51)', description: '', task: { cpu: 51 }, container: {} },
  { name: 'shares 4, idle host', description: '', container: { cpu: 4 } },
  { name: `shares 4, ${availableParallelism()} neighbours × 1024`, description: '', container: { cpu: 4 }, neighbours: { count: availableParallelism(), cpu: 1024 } },
];

const results = new Map<string, SandboxResult[]>(profiles.map((p) => [p.name, []]));
for (let round = 1; round <= rounds; round++) {
  for (const profile of profiles) {
    const result = await runSandboxed({ command: process.execPath, args: ['-e', work], profile });
    if (result.outcome !== 'exited' || result.exitCode !== 0) throw new Error(`${profile.name}: ${result.outcome} ${result.stderr}`);
    results.get(profile.name)!.push(result);
    console.error(`round ${round}/${rounds} ${profile.name}: ${result.wallSeconds.toFixed(2)} s wall, ${result.cpuSeconds.toFixed(2)} CPU-s`);
  }
}

const baseline = median(results.get(profiles[0]!.name)!.map((r) => r.wallSeconds));
console.log(`\n| profile | wall s (median) | slowdown vs unconstrained | CPU-s | throttled periods | CPUUtilization % |`);
console.log(`|---|---|---|---|---|---|`);
for (const profile of profiles) {
  const runs = results.get(profile.name)!;
  const wall = median(runs.map((r) => r.wallSeconds));
  const throttled = median(runs.map((r) => r.throttling?.throttledPeriods ?? 0));
  const utilization = median(runs.map((r) => r.cpuUtilizationPercent ?? NaN));
  console.log(
    `| ${profile.name} | ${wall.toFixed(2)} | ${(wall / baseline).toFixed(1)}x | ${median(runs.map((r) => r.cpuSeconds)).toFixed(2)} | ${throttled} | ${utilization.toFixed(0)} |`,
  );
}
