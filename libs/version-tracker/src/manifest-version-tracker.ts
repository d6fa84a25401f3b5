import { parseWatermark, targetId, type Target } from '@storage-builder/data-model';
import { ManifestError, readManifest, type SnapshotStore } from '@storage-builder/snapshot';
import type { TrackerLookup, VersionTracker } from './version-tracker';

/**
 * The truth: a target's version is the watermark of its committed manifest. Saving is the
 * manifest commit itself, so `save` has nothing to add.
 */
export class ManifestVersionTracker implements VersionTracker {
  readonly kind = 'manifest';

  constructor(private readonly store: SnapshotStore) {}

  async check(): Promise<void> {
    try {
      await this.store.conditionalWrites();
    } catch (error) {
      throw new Error(`the manifest version tracker cannot use the snapshot bucket: ${(error as Error).message}. Check S3_ENDPOINT, S3_BUCKET and the credentials.`);
    }
  }

  async get(target: Target): Promise<TrackerLookup> {
    try {
      const current = await readManifest(this.store, target);
      if (!current) return { state: 'missing' };
      const { manifest } = current;
      return { state: 'found', version: { watermark: parseWatermark(manifest.watermark), savedAt: manifest.committedAt, runId: `generation-${manifest.generation}` } };
    } catch (error) {
      if (error instanceof ManifestError) return { state: 'corrupt', reason: error.message };
      throw error;
    }
  }

  async save(): Promise<void> {
    // The manifest commit that precedes every save already recorded the watermark.
  }

  async clear(target: Target): Promise<void> {
    throw new Error(
      `the manifest of ${targetId(target)} is the record of what S3 holds and is not cleared: run the target with incremental off to rebuild it from a full read`,
    );
  }

  async stop(): Promise<void> {}
}
