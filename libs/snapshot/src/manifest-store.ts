import type { Target } from '@storage-builder/data-model';
import { ManifestError, parseManifest, type SnapshotManifest } from './manifest';
import { s3Status, SnapshotConflictError } from './s3-errors';
import { ObjectTooLargeError, type SnapshotStore } from './snapshot-store';

/** A manifest with the ETag it was read at: the condition of the next commit. */
export interface ManifestVersion {
  readonly manifest: SnapshotManifest;
  readonly etag: string;
}

/**
 * What a writer finds under a target's manifest key. A `malformed` manifest (an interrupted
 * or interleaved write on a store without conditional writes, a hand edit) cannot be
 * extended, only replaced by a new base; its ETag is the condition of that replacement.
 */
export type TargetManifest =
  | { readonly state: 'absent' }
  | ({ readonly state: 'valid' } & ManifestVersion)
  | { readonly state: 'malformed'; readonly etag: string; readonly error: ManifestError };

/** How a commit was guarded: by the store (`conditional`) or by re-reading first (`read-check`). */
export type CommitGuard = 'conditional' | 'read-check';

/**
 * What makes a commit safe against other writers of the target: a fencing token that only
 * grows (a lease's), and a critical section in which the manifest is written only if that
 * token still holds the lease (see `TargetLeases` in @storage-builder/updater).
 */
export interface CommitFence {
  readonly token: number;
  /** Runs `commit`, the write of `committing`, inside the fence; the fence may record what it commits. */
  fence<T>(commit: () => Promise<T>, committing: Pick<SnapshotManifest, 'watermark'>): Promise<T>;
}

/** For a single writer per target (tests, tools): token 0, no critical section. */
export const UNFENCED: CommitFence = { token: 0, fence: (commit) => commit() };

export async function readManifest(store: SnapshotStore, target: Target): Promise<ManifestVersion | undefined> {
  const found = await readTargetManifest(store, target);
  if (found.state === 'malformed') throw found.error;
  return found.state === 'valid' ? { manifest: found.manifest, etag: found.etag } : undefined;
}

/** Wait before reading an unparsable manifest once more. */
const TORN_READ_RETRY_MS = 200;

export async function readTargetManifest(store: SnapshotStore, target: Target): Promise<TargetManifest> {
  const key = store.keys(target).manifest;
  const first = await readOnce(store, key, target);
  if (first.state !== 'malformed') return first;
  // Some S3-protocol servers (s3rver) serve an object while a PUT is still replacing it:
  // only a manifest that is unreadable twice is damaged. S3 itself replaces objects atomically.
  await store.options.sleep(TORN_READ_RETRY_MS);
  return readOnce(store, key, target);
}

/** Far above any manifest a writer makes (a few KiB: a base and at most a few dozen deltas). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

async function readOnce(store: SnapshotStore, key: string, target: Target): Promise<TargetManifest> {
  let object: { text: string; etag: string } | undefined;
  try {
    object = await store.getText(key, MAX_MANIFEST_BYTES);
  } catch (error) {
    if (!(error instanceof ObjectTooLargeError)) throw error;
    return { state: 'malformed', etag: (await store.head(key))?.etag ?? '', error: new ManifestError('malformed', `manifest ${key}: ${error.message}`, 'manifest') };
  }
  if (!object) return { state: 'absent' };
  try {
    return { state: 'valid', manifest: parseManifest(object.text, `manifest ${key}`, target, store.keys(target).directory), etag: object.etag };
  } catch (error) {
    if (error instanceof ManifestError && error.code === 'malformed') return { state: 'malformed', etag: object.etag, error };
    throw error;
  }
}

/**
 * Replaces the manifest of `next.target` only if it still has the ETag `previous` was read
 * at (absent when `previous` is undefined), inside `fence`. With conditional writes the
 * store enforces the ETag (`If-Match` / `If-None-Match: *`; 412 = lost race, 409 =
 * thrown for the caller's retry); without, the manifest is re-read and compared just before the PUT, which the
 * fence makes safe against every writer that holds a lease.
 */
export async function commitManifest(
  store: SnapshotStore,
  previous: { readonly etag: string } | undefined,
  next: SnapshotManifest,
  fence: CommitFence = UNFENCED,
): Promise<{ etag: string; guard: CommitGuard }> {
  const key = store.keys(next.target).manifest;
  const support = await store.conditionalWrites();
  const body = `${JSON.stringify(next, null, 2)}\n`;
  const guarded = previous ? support.ifMatch : support.ifNoneMatch;
  return fence.fence(async () => {
    if (!guarded) {
      const now = await store.head(key);
      if ((now?.etag ?? undefined) !== previous?.etag) {
        throw new SnapshotConflictError('manifest-changed', key, `manifest ${key} changed since it was read (another writer committed): re-read it and start over`);
      }
      return { etag: await store.putSmall(key, body), guard: 'read-check' as const };
    }
    try {
      // A 409 (a concurrent request on the key) is not retried here: the updater's retry table retries the whole target.
      const etag = await store.putSmall(key, body, previous ? { ifMatch: previous.etag } : { ifNoneMatch: true });
      return { etag, guard: 'conditional' as const };
    } catch (error) {
      // AWS answers If-Match on a key that no longer exists with 404: another writer's doing too.
      if (s3Status(error) === 412 || (previous && s3Status(error) === 404)) {
        throw new SnapshotConflictError('precondition-failed', key, `manifest ${key} was committed by another writer first: re-read it and start over`, { cause: error });
      }
      throw error;
    }
  }, next);
}
