// The write-up's claims and how a reproduce report sets each beside what was measured.

/** One line of "claim in the write-up → measured here". */
export interface ClaimCheck {
  readonly claim: string;
  readonly writeUp: string;
  readonly measured: string;
  readonly verdict: string;
}

type WriteUpClaim = Pick<ClaimCheck, 'claim' | 'writeUp'>;

/** What the incident write-up claims, in its own words; each report measures what it can of them. */
export const WRITE_UP = {
  cpuReading: { claim: 'CPU reading', writeUp: '9113% CPU (4 units "not enough")' },
  resources: { claim: 'Resources', writeUp: '150x from 4 → 2048 units and 256 → 2048/4096 MB' },
  batching: { claim: 'Batching', writeUp: '12-15x less async overhead, 12-15% faster' },
  parallelism: { claim: 'Parallelism', writeUp: '4x from 4 targets at once' },
  incremental: { claim: 'Incremental sync', writeUp: '95-99% less work' },
  gcPressure: { claim: 'GC pressure', writeUp: 'GC pressure from 256 MB' },
  allFixes: { claim: 'All fixes', writeUp: '150 h → ~90 min' },
  correctness: { claim: 'Correctness', writeUp: 'snapshots equal the source' },
} as const satisfies Record<string, WriteUpClaim>;

export function claimsTable(claims: readonly ClaimCheck[]): string {
  return ['| claim | write-up | measured here | verdict |', '|---|---|---|---|', ...claims.map((c) => `| ${c.claim} | ${c.writeUp} | ${c.measured} | ${c.verdict} |`)].join('\n');
}
