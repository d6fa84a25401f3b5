import type { UpdateAllSwitches } from './measured-child';

export type Switches = UpdateAllSwitches;

/** Which of the write-up's fixes a run has on. */
export type Fix = 'none' | 'batching' | 'parallelism' | 'incremental' | 'all';

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly fix: Fix;
  /** A resource profile in load-profiles/resources. */
  readonly profile: string;
  readonly switches: Switches;
  /** Starts from snapshots synced before the churn, so an incremental run has something to follow. */
  readonly startsFromSync: boolean;
  /**
   * A run this slow is stopped after this long and the rest projected from the CPU it got
   * against the CPU its reference run needed for the whole job.
   */
  readonly deadline: boolean;
  /** The run with the same switches that finishes, whose CPU is the whole job's. */
  readonly reference: string;
}

/** How a scenario's run ended: `finished`, `deadline` (stopped; the rest projected) or `failed`. */
export type ScenarioStatus = 'finished' | 'deadline' | 'failed';

export const SWITCHES: Readonly<Record<Fix, Switches>> = {
  none: { serializer: 'legacy', parallelism: 1, incremental: false },
  batching: { serializer: 'batched', parallelism: 1, incremental: false },
  parallelism: { serializer: 'legacy', parallelism: 4, incremental: false },
  incremental: { serializer: 'legacy', parallelism: 1, incremental: true },
  all: { serializer: 'streaming', parallelism: 4, incremental: true },
};

const FIX_TITLES: Readonly<Record<Fix, string>> = {
  none: 'legacy worker',
  batching: 'batching alone',
  parallelism: 'parallelism alone',
  incremental: 'incremental alone',
  all: 'all fixes',
};

function scenario(fix: Fix, profile: string, deadline: boolean): Scenario {
  return {
    id: `${fix}@${profile}`,
    title: `${FIX_TITLES[fix]} @ ${profile}`,
    fix,
    profile,
    switches: SWITCHES[fix],
    startsFromSync: SWITCHES[fix].incremental,
    deadline,
    reference: `${fix}@recommended`,
  };
}

const FIXES: readonly Fix[] = ['none', 'batching', 'parallelism', 'incremental', 'all'];

/**
 * In run order: the recommended profile first (they finish and serve as references), then
 * the incident's readings, where the slow ones run against a deadline.
 */
export const SCENARIOS: readonly Scenario[] = [
  ...FIXES.map((fix) => scenario(fix, 'recommended', false)),
  { ...scenario('all', 'recommended', false), id: 'all-full@recommended', title: 'all fixes, first (full) run @ recommended', switches: { ...SWITCHES.all, incremental: false }, startsFromSync: false, reference: 'all-full@recommended' },
  scenario('none', 'incident-idle-host', false),
  ...FIXES.map((fix) => scenario(fix, 'incident', true)),
  scenario('none', 'hard-quota-reading', true),
];

/** The scenario id with only the characters object keys and container names allow. */
export function scenarioSlug(scenario: Scenario): string {
  return scenario.id.replace(/[^A-Za-z0-9._-]+/g, '-');
}

/** Each scenario publishes under its own prefix, so none reads another's snapshots. */
export function prefixOf(scenario: Scenario): string {
  return `runs/${scenarioSlug(scenario)}`;
}

/** Scenarios asked for by id, plus the reference runs their projections need, in the standard order. */
export function scenariosWithReferences(ids: readonly string[]): Scenario[] {
  const unknown = ids.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`--only names unknown scenarios ${unknown.join(', ')}: use ids from --help`);
  const wanted = new Set(ids.flatMap((id) => [id, SCENARIOS.find((s) => s.id === id)!.reference]));
  return SCENARIOS.filter((s) => wanted.has(s.id));
}
