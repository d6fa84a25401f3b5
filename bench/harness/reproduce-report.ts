// What the reports of `npm run reproduce` and `npm run reproduce:docker` share: the data they
// ran on and the Markdown around each flow's own tables.
import { claimsTable, type ClaimCheck } from './claim-check';
import type { SourcePreparation } from './source-preparation';

export interface ReportData {
  /** The data profile's name, with the scale when it is not 1. */
  readonly profile: string;
  readonly rows: number;
  readonly targets: number;
  readonly seedSeconds: number;
  readonly churnRate: number;
}

export function reportData(options: { readonly data: string; readonly scale: number; readonly churn: number }, source: SourcePreparation): ReportData {
  return { profile: options.data + (options.scale !== 1 ? ` × ${options.scale}` : ''), rows: source.rows, targets: source.targets, seedSeconds: source.seedSeconds, churnRate: options.churn };
}

/** What both reports hold (report.json); each flow adds to its machine and may add sections. */
export interface ReproduceReportBase<Machine, Run> {
  readonly generatedAt: string;
  readonly machine: { readonly cpus: number; readonly node: string; readonly services: readonly string[] } & Machine;
  readonly data: ReportData;
  readonly deadlineSeconds: number;
  readonly claims: readonly ClaimCheck[];
  readonly runs: readonly Run[];
  readonly notes: readonly string[];
}

export interface MarkdownParts {
  readonly title: string;
  /** The machine after its CPU count: what ran the workers. */
  readonly machine: string;
  /** The flow's own sentence on what its job time is. */
  readonly jobTime: string;
  readonly runsTable: string;
  /** Markdown between the runs and the notes, starting with a blank line. */
  readonly moreSections?: string;
}

/** report.md: the flow's own tables in the frame both reports share. */
export function reproduceMarkdown(report: ReproduceReportBase<object, unknown>, parts: MarkdownParts): string {
  const { data } = report;
  return `# ${parts.title}

Generated ${report.generatedAt} on ${report.machine.cpus} CPUs, ${parts.machine}.
Services: ${report.machine.services.join('; ')}.
Data: ${data.profile}, ${data.rows.toLocaleString('en')} rows in ${data.targets} targets (seeded in ${data.seedSeconds.toFixed(1)} s), churn ${(data.churnRate * 100).toFixed(2)}% before the runs.

## Claims in the write-up → measured here
${claimsTable(report.claims)}

## Runs
${parts.jobTime} Runs marked *projected* were stopped after ${report.deadlineSeconds} s; the rest of the job is projected from the CPU they got against the CPU their reference run needed (the work is CPU-bound).

${parts.runsTable}
${parts.moreSections ?? ''}
## Notes
${report.notes.map((n) => `- ${n}`).join('\n')}
`;
}
