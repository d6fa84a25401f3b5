import { compareWatermarks, type Watermark } from '@storage-builder/data-model';
import type { TrackerLookup } from '@storage-builder/version-tracker';
import type { SyncMode } from './target-result';

export interface StartingPoint {
  readonly mode: SyncMode;
  /** Where the feed starts; null for a full read. */
  readonly since: Watermark | null;
  readonly reason: string;
}

/**
 * Decides how to read a target. The manifest says what S3 holds and so is the truth; the
 * tracker (Redis or PostgreSQL) is a cache of it, as in the incident design. A cache that
 * is missing, expired, corrupt or ahead of the manifest means a full read; one behind the
 * manifest (a crash between manifest commit and tracker save) is overruled by the manifest.
 */
export function decideStartingPoint(input: {
  incremental: boolean;
  manifestWatermark: Watermark | undefined;
  /** Undefined when the manifest itself is the tracker. */
  tracked: TrackerLookup | undefined;
}): StartingPoint {
  const { manifestWatermark, tracked } = input;
  if (!input.incremental) return { mode: 'full', since: null, reason: 'incremental sync is off (the legacy currentVersion: null)' };
  if (manifestWatermark === undefined) {
    const cache = tracked?.state === 'found' ? `; the tracker's ${tracked.version.watermark} is ahead of it` : '';
    return { mode: 'full', since: null, reason: `no snapshot yet${cache}` };
  }
  if (tracked === undefined) return { mode: 'incremental', since: manifestWatermark, reason: `since manifest watermark ${manifestWatermark}` };
  switch (tracked.state) {
    case 'missing':
      return { mode: 'full', since: null, reason: 'no saved version (missing or expired)' };
    case 'corrupt':
      return { mode: 'full', since: null, reason: `saved version is corrupt: ${tracked.reason}` };
    case 'found': {
      const order = compareWatermarks(tracked.version.watermark, manifestWatermark);
      if (order > 0) return { mode: 'full', since: null, reason: `saved version ${tracked.version.watermark} is ahead of the manifest's ${manifestWatermark}` };
      if (order < 0) {
        return { mode: 'incremental', since: manifestWatermark, reason: `saved version ${tracked.version.watermark} is behind the manifest; the manifest's ${manifestWatermark} wins` };
      }
      return { mode: 'incremental', since: manifestWatermark, reason: `since watermark ${manifestWatermark}` };
    }
  }
}
