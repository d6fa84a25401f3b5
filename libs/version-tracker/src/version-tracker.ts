import type { Target, Watermark } from '@storage-builder/data-model';

/** What a tracker keeps for a target after a successful run. */
export interface TrackedVersion {
  readonly watermark: Watermark;
  /** ISO time of the save. */
  readonly savedAt: string;
  /** The run that saved it, for logs. */
  readonly runId: string;
}

/**
 * What a tracker knows about a target. `corrupt` is kept apart from `missing` so the caller
 * can say why it falls back to a full sync.
 */
export type TrackerLookup =
  | { readonly state: 'found'; readonly version: TrackedVersion }
  | { readonly state: 'missing' }
  | { readonly state: 'corrupt'; readonly reason: string };

/** Keeps the last successful watermark of each target. */
export interface VersionTracker {
  /** `manifest`, `redis` or `postgres`: for logs and results. */
  readonly kind: string;
  get(target: Target): Promise<TrackerLookup>;
  /** Called only after the target's manifest is committed. */
  save(target: Target, version: TrackedVersion): Promise<void>;
  clear(target: Target): Promise<void>;
  /** Fails with a message that names the tracker when it cannot be reached; called at start-up. */
  check(): Promise<void>;
  stop(): Promise<void>;
}
