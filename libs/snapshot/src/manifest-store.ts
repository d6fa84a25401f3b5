import type { Target } from '@storage-builder/data-model';
import { parseManifest, type SnapshotManifest } from './manifest';
import { s3Status, SnapshotConflictError, withConflictRetry } from './s3-errors';
import type { SnapshotStore } from './snapshot-store';

/** A manifest with the ETag it was read at: the condition of the next commit. */
export interface ManifestVersion {
  readonly manifest: SnapshotManifest;
  readonly etag: string;
}

/** How a commit was guarded: by the store (`conditional`) or by re-reading first (`read-check`, racy). */
export type CommitGuard = 'conditional' | 'read-check';

export async function readManifest(store: SnapshotStore, target: Target): Promise<ManifestVersion | undefined> {
  const key = store.keys(target).manifest;
  const object = await store.getText(key);
  if (!object) return undefined;
  return { manifest: parseManifest(object.text, `manifest ${key}`, target), etag: object.etag };
}

/**
 * Replaces the manifest of `next.target` only if it is still `previous` (absent when
 * `previous` is undefined). With conditional writes the store enforces it (`If-Match` /
 * `If-None-Match: *`; 412 = lost race, 409 = retried); without, the manifest is re-read and
 * compared just before the PUT, which leaves a window only a single writer closes.
 */
export async function commitManifest(
  store: SnapshotStore,
  previous: ManifestVersion | undefined,
  next: SnapshotManifest,
): Promise<{ etag: string; guard: CommitGuard }> {
  const key = store.keys(next.target).manifest;
  const support = await store.conditionalWrites();
  const body = `${JSON.stringify(next, null, 2)}\n`;
  const guarded = previous ? support.ifMatch : support.ifNoneMatch;
  if (!guarded) {
    const now = await store.head(key);
    if ((now?.etag ?? undefined) !== previous?.etag) {
      throw new SnapshotConflictError('manifest-changed', key, `manifest ${key} changed since it was read (another writer committed): re-read it and start over`);
    }
    return { etag: await store.putSmall(key, body), guard: 'read-check' };
  }
  try {
    const etag = await withConflictRetry(
      () => store.putSmall(key, body, previous ? { ifMatch: previous.etag } : { ifNoneMatch: true }),
      store.options.sleep,
    );
    return { etag, guard: 'conditional' };
  } catch (error) {
    if (s3Status(error) === 412) {
      throw new SnapshotConflictError('precondition-failed', key, `manifest ${key} was committed by another writer first: re-read it and start over`, { cause: error });
    }
    throw error;
  }
}
