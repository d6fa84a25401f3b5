// The Docker flow's report: report.json for machines, report.md for people.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fmtSeconds, type ClaimCheck } from '../reproduce/claims';
import { claimsTable } from '../reproduce/report';
import type { DockerRunMetrics } from './docker-run-metrics';

export interface DockerReproduceReport {
  readonly generatedAt: string;
  readonly machine: { readonly cpus: number; readonly node: string; readonly dockerServer: string; readonly image: string; readonly imageId: string; readonly services: readonly string[] };
  readonly data: { readonly profile: string; readonly rows: number; readonly targets: number; readonly seedSeconds: number; readonly churnRate: number };
  readonly deadlineSeconds: number;
  readonly claims: readonly ClaimCheck[];
  readonly runs: readonly DockerRunMetrics[];
  readonly notes: readonly string[];
}

const cell = (x: number | undefined, digits = 1) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));

export function dockerRunsTable(runs: readonly DockerRunMetrics[]): string {
  return [
    '| run | status | job time | CPU-s | CPU share | CPUUtilization % | throttled periods | serialize calls/row | heap limit MiB | GC count | RSS MiB | start-up | snapshots |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.title} | ${r.status}${r.projected ? ' (projected)' : ''}${r.error ? `: ${r.error.replace(/\|/g, '\\|')}` : ''} | ${fmtSeconds(r.jobSeconds)} | ${cell(r.jobCpuSeconds, 2)} | ` +
        `${r.cpuShare === undefined ? '–' : `${cell(r.cpuShare * 100, 1)}%`} | ${cell(r.cpuUtilizationPercent, 0)} | ${r.throttledPeriods ?? '–'} | ${cell(r.serializeCallsPerRow, 4)} | ` +
        `${cell(r.heapLimitMiB, 0)} | ${r.gcCount ?? '–'} | ${cell(r.rssMiB, 0)} | ${fmtSeconds(r.startupSeconds)} | ${r.snapshots} |`,
    ),
  ].join('\n');
}

export function dockerMarkdownReport(report: DockerReproduceReport): string {
  return `# Reproducing the Storage Builder incident with the worker image

Generated ${report.generatedAt} on ${report.machine.cpus} CPUs, Docker ${report.machine.dockerServer}, image ${report.machine.image} (${report.machine.imageId}).
Services: ${report.machine.services.join('; ')}.
Data: ${report.data.profile}, ${report.data.rows.toLocaleString('en')} rows in ${report.data.targets} targets (seeded in ${report.data.seedSeconds.toFixed(1)} s), churn ${(report.data.churnRate * 100).toFixed(2)}% before the runs.

## Claims in the write-up → measured here
${claimsTable(report.claims)}

## Runs
Job time is the worker's own UpdateAll duration. Runs marked *projected* were stopped after ${report.deadlineSeconds} s; the rest of the job is projected from the CPU they got against the CPU their reference run needed (the work is CPU-bound).

${dockerRunsTable(report.runs)}

## Notes
${report.notes.map((n) => `- ${n}`).join('\n')}
`;
}

export function writeDockerReports(dir: string, report: DockerReproduceReport): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [
    [path.join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`],
    [path.join(dir, 'report.md'), dockerMarkdownReport(report)],
  ] as const;
  for (const [file, text] of files) writeFileSync(file, text);
  return files.map(([file]) => file);
}
