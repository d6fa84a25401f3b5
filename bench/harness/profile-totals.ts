import { DATA_KINDS } from '@storage-builder/data-model';
import type { DataProfile } from '@storage-builder/source-db';

/** What a data profile seeds: its rows, its targets (one per kind and client) and the rows of its largest target. */
export function profileTotals(profile: DataProfile) {
  const rows = Object.values(profile.rows).reduce((s, v) => s + v, 0);
  return { rows, targets: profile.clients * DATA_KINDS.length, largestTarget: Math.round(profile.rows.rawData * profile.rawDataSkew) };
}
