// What a seed of the multi-writer check reports, and which of its findings fail it.
import type { ProviderName } from '@storage-builder/services';
import type { ConditionalWriteSupport } from '@storage-builder/snapshot';
import type { DistributedPair } from './distributed-pair';
import type { EventLoopStalls } from './event-loop-stalls';
import type { MultiWriterMutation, MultiWriterScale, MultiWriterStore } from './multi-writer-options';
import { SourceWriters } from './source-writers';
import type { WorkerCliRuns } from './worker-cli-runs';
import type { OutcomeCounts, WriterActivity } from './writer-activity';

export interface MultiWriterReport {
  readonly seed: number;
  readonly store: MultiWriterStore;
  readonly scale: MultiWriterScale;
  readonly mutation: MultiWriterMutation | undefined;
  /** What the SnapshotStore instances probed (they must agree); undefined if no probe answered. */
  readonly detected: ConditionalWriteSupport | undefined;
  /** What the store kind must detect; undefined when the object store is not s3rver (a LocalStack or AWS endpoint). */
  readonly expected: ConditionalWriteSupport | undefined;
  readonly activity: {
    readonly committedTransactions: number;
    readonly rolledBackTransactions: number;
    /** Transactions that ended in a deadlock, lock timeout or duplicate key and rolled back. */
    readonly conflictedTransactions: number;
    readonly keyChanges: number;
    readonly reinserts: number;
    readonly specialTextWrites: number;
    readonly longTransactions: number;
    readonly stalls: readonly string[];
    readonly heldManifestPuts: number;
    readonly cliRuns: readonly string[];
    readonly distributedRuns: number;
    readonly outcomes: Readonly<Record<string, OutcomeCounts>>;
    /** What the writers' logs say happened to them, counted: leases taken over mid-target, queue locks lost, ... */
    readonly events: Readonly<Record<string, number>>;
  };
  /**
   * Targets that failed during the concurrent phase for a reason other than contention
   * (another writer holding or taking the target, a lost queue lock). Not a failure of the
   * check by themselves: the final state is what must be right. Listed to be read.
   */
  readonly concurrentFailures: readonly string[];
  /** Writer SQL errors that are not deadlocks, lock timeouts or duplicate keys: a bug of the check's writers. */
  readonly writerErrors: readonly string[];
  readonly quietRun: { readonly completed: number; readonly failed: number; readonly skipped: number; readonly aborted: number } | undefined;
  readonly verify: { readonly ok: number; readonly broken: number; readonly held: number; readonly absent: number } | undefined;
  /** Rows in the database and not in the snapshot, as `<target> id <id>`. */
  readonly lost: readonly string[];
  /** Rows in the snapshot and not in the database (deleted or re-keyed rows that came back, duplicates). */
  readonly extra: readonly string[];
  /** Rows in both whose values differ, with the first differing column. */
  readonly differing: readonly string[];
  /** Targets whose verify is not ok or whose snapshot cannot be materialized, or damage a writer found and healed. */
  readonly broken: readonly string[];
  /** Everything that fails the seed, one line each; empty when it passed. */
  readonly problems: readonly string[];
  /** What could not be removed after the seed (a database, objects, Redis keys, a child process). */
  readonly cleanupErrors: readonly string[];
  readonly durationMs: number;
}

/** What a seed found, filled in phase by phase: a phase that throws leaves what it had found so far. */
export interface SeedRecord {
  readonly activity: WriterActivity;
  /** Everything that fails the seed and is not a comparison of its final state. */
  readonly problems: string[];
  /** What each SnapshotStore instance probed, in the order they were made. */
  readonly supports: Array<{ who: string; support: ConditionalWriteSupport }>;
  writers: SourceWriters | undefined;
  stalls: EventLoopStalls | undefined;
  cli: WorkerCliRuns | undefined;
  heldManifestPuts: number;
  distributed: DistributedPair | undefined;
  quietRun: MultiWriterReport['quietRun'];
  verify: MultiWriterReport['verify'];
  readonly broken: string[];
  readonly lost: string[];
  readonly extra: string[];
  readonly differing: string[];
}

export function emptySeedRecord(activity: WriterActivity): SeedRecord {
  return { activity, problems: [], supports: [], writers: undefined, stalls: undefined, cli: undefined, heldManifestPuts: 0, distributed: undefined, quietRun: undefined, verify: undefined, broken: [], lost: [], extra: [], differing: [] };
}

/** What the store kind must detect: the proxy enforces both conditions, s3rver neither; a LocalStack or AWS endpoint is not judged. */
export function expectedSupport(store: MultiWriterStore, provider: ProviderName): ConditionalWriteSupport | undefined {
  return store === 'conditional' ? { ifNoneMatch: true, ifMatch: true } : provider === 'embedded' ? { ifNoneMatch: false, ifMatch: false } : undefined;
}

/** What a seed was asked to do, as its report repeats it. */
export type SeedIdentity = Pick<MultiWriterReport, 'seed' | 'store' | 'scale' | 'mutation' | 'expected'>;

export function seedReport(identity: SeedIdentity, record: SeedRecord, cleanupErrors: string[], started: number): MultiWriterReport {
  const detected = record.supports[0]?.support;
  const { activity, writers, broken, lost, extra, differing } = record;
  return {
    seed: identity.seed,
    store: identity.store,
    scale: identity.scale,
    mutation: identity.mutation,
    detected,
    expected: identity.expected,
    activity: {
      ...(writers?.counters ?? SourceWriters.noCounters()),
      stalls: record.stalls?.stalls ?? [],
      heldManifestPuts: record.heldManifestPuts,
      cliRuns: record.cli?.summaries ?? [],
      distributedRuns: record.distributed?.runs ?? 0,
      outcomes: activity.outcomes,
      events: activity.events,
    },
    concurrentFailures: activity.concurrentFailures,
    writerErrors: writers?.errors ?? [],
    quietRun: record.quietRun,
    verify: record.verify,
    lost,
    extra,
    differing,
    broken: [...broken, ...activity.damage],
    problems: [...record.problems, ...detectionProblems(record, identity, detected), ...comparisonProblems(record)],
    cleanupErrors,
    durationMs: Date.now() - started,
  };
}

/** Every store instance probed once: they must agree with each other, with the store kind, and with the CLI runs' warnings. */
function detectionProblems(record: SeedRecord, { store, expected }: SeedIdentity, detected: ConditionalWriteSupport | undefined): string[] {
  const problems: string[] = [];
  const same = (a: ConditionalWriteSupport | undefined, b: ConditionalWriteSupport | undefined) => a?.ifMatch === b?.ifMatch && a?.ifNoneMatch === b?.ifNoneMatch;
  for (const { who, support } of record.supports) {
    if (!same(support, detected)) problems.push(`${who} detected ${JSON.stringify(support)}, ${record.supports[0]!.who} ${JSON.stringify(detected)}`);
  }
  if (expected && detected && !same(detected, expected)) problems.push(`the store detected ${JSON.stringify(detected)} on ${store}, expected ${JSON.stringify(expected)}`);
  if (detected) {
    // The CLI's store probes too, and warns when it cannot guard its commits.
    const unguarded = !detected.ifMatch || !detected.ifNoneMatch;
    for (const { n, saw } of record.cli?.unguardedWarnings ?? []) {
      if (saw !== unguarded) problems.push(`cli ${n} ${saw ? 'warned' : 'did not warn'} that the store does not enforce conditional writes, but the store detected ${JSON.stringify(detected)}`);
    }
  }
  return problems;
}

/** The final state's faults: damage healed mid-run, broken targets, and the first 20 rows of each kind that differ from the database. */
function comparisonProblems({ activity, broken, lost, extra, differing }: SeedRecord): string[] {
  const rows = [
    { list: lost, label: 'lost (in the database, not in the snapshot)', more: 'lost' },
    { list: extra, label: 'extra (in the snapshot, not in the database)', more: 'extra' },
    { list: differing, label: 'differs', more: 'differing' },
  ];
  return [
    ...[...activity.damage].map((d) => `a writer found a target damaged and rebuilt it (nothing here damages objects): ${d}`),
    ...broken.map((b) => `broken: ${b}`),
    ...rows.flatMap(({ list, label }) => list.slice(0, 20).map((row) => `${label}: ${row}`)),
    ...rows.flatMap(({ list, more }) => (list.length > 20 ? [`... ${list.length - 20} more ${more} rows`] : [])),
  ];
}
