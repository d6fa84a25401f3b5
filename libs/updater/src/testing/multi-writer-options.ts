// What a seed of the multi-writer check is asked to do: on which store, how long and how
// busy (the scale), with which deliberate fault.
import { parseDataProfile } from '@storage-builder/source-db';
import type { MultiWriterServices } from './multi-writer-services';

/** `s3rver`: the store as it is (conditions ignored); `conditional`: the fault proxy enforcing If-Match / If-None-Match like AWS. */
export const MULTI_WRITER_STORES = ['s3rver', 'conditional'] as const;
export type MultiWriterStore = (typeof MULTI_WRITER_STORES)[number];

/** `quick` fits a few seeds in `npm test`; `long` is the bench's default. */
export type MultiWriterScale = 'quick' | 'long';

/**
 * Deliberate faults, to see the check fail (never used by the test or the default bench):
 * - `lose-row`: drops one row of one target's snapshot before the comparison;
 * - `unfenced-strays`: after each commit of the stalling updater, deletes every data object
 *   its target's manifest does not name, whoever wrote it: what `strayKeys` would do if it
 *   ignored fencing tokens (objects of a newer writer that is about to commit included).
 */
export type MultiWriterMutation = 'lose-row' | 'unfenced-strays';

export interface MultiWriterCheckOptions {
  /** PostgreSQL (each seed creates and drops a database of its own on its server), the store, Redis. */
  readonly services: MultiWriterServices;
  readonly store: MultiWriterStore;
  /** The `psql` binary the database is read with (see `findPsql`). */
  readonly psql: string;
  /** @defaultValue `'quick'` */
  readonly scale?: MultiWriterScale;
  readonly mutation?: MultiWriterMutation;
  /** Progress lines of the seed (what runs, what stalls); none by default. */
  readonly log?: (line: string) => void;
}

/** Ranges a seed draws its plan from, both ends included. */
export interface ScalePlan {
  readonly phaseMs: number;
  readonly writerRounds: readonly [number, number];
  readonly writers: readonly [number, number];
  readonly transactionsPerWriter: readonly [number, number];
  readonly updaterRounds: readonly [number, number];
  readonly cliRuns: readonly [number, number];
  readonly distributedRuns: readonly [number, number];
  readonly heldPuts: readonly [number, number];
  readonly stalls: readonly [number, number];
}

export const SCALES: Readonly<Record<MultiWriterScale, ScalePlan>> = {
  quick: {
    phaseMs: 4_000,
    writerRounds: [3, 5],
    writers: [2, 3],
    transactionsPerWriter: [4, 8],
    updaterRounds: [2, 3],
    cliRuns: [1, 2],
    distributedRuns: [1, 1],
    heldPuts: [2, 4],
    stalls: [1, 2],
  },
  long: {
    phaseMs: 8_000,
    writerRounds: [4, 8],
    writers: [2, 4],
    transactionsPerWriter: [4, 10],
    updaterRounds: [2, 5],
    cliRuns: [1, 3],
    distributedRuns: [1, 2],
    heldPuts: [3, 8],
    stalls: [1, 3],
  },
};

/** A small source: three clients, a few hundred rows. */
export function profileFor(seed: number) {
  return parseDataProfile({
    clients: 3,
    rows: { rawData: 240, entities: 45, dataItems: 36, formulas: 30, formulaAssociations: 60 },
    rawDataSkew: 0.5,
    textWidth: 12,
    seed: 1_000 + (seed % 1_000_000),
  });
}
