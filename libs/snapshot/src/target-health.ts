import type { Target } from '@storage-builder/data-model';
import { ManifestError, type SnapshotManifest } from './manifest';
import { readTargetManifest, type TargetManifest } from './manifest-store';
import { readManifestObjects } from './materialize';
import { SnapshotFormatError } from './snapshot-format-error';
import type { ListedObject, SnapshotStore } from './snapshot-store';

/**
 * Damage to what a manifest names: the target needs a new base from a full read. A file of
 * a newer format version is not damage: a newer release wrote it.
 */
export function isSnapshotDamage(error: unknown): error is ManifestError | SnapshotFormatError {
  return (error instanceof SnapshotFormatError && error.code !== 'unsupported-version') || (error instanceof ManifestError && (error.code === 'missing-object' || error.code === 'object-mismatch'));
}

/** One LIST of the target: its objects, and what is wrong with the chain the manifest names, if anything. */
export interface ChainInspection {
  readonly listed: readonly ListedObject[];
  /** Undefined when every named object exists with the size the manifest recorded. */
  readonly problem: string | undefined;
}

/**
 * Checks, with one LIST, that every object the manifest names exists with the recorded
 * size. Cheap enough to run before every delta, so a broken chain is never extended.
 */
export async function inspectChain(store: SnapshotStore, manifest: SnapshotManifest): Promise<ChainInspection> {
  const listed = await store.listObjects(store.keys(manifest.target).directory);
  const sizes = new Map(listed.map((object) => [object.key, object.bytes]));
  let problem: string | undefined;
  for (const entry of [manifest.base, ...manifest.deltas]) {
    const bytes = sizes.get(entry.key);
    if (bytes === undefined) problem = `manifest names ${entry.key}, which does not exist`;
    else if (bytes !== entry.bytes) problem = `${entry.key} is ${bytes} bytes, the manifest recorded ${entry.bytes}`;
    if (problem) break;
  }
  return { listed, problem };
}

export type TargetHealth =
  | { readonly state: 'absent'; readonly target: Target }
  | { readonly state: 'ok'; readonly target: Target; readonly objects: number; readonly bytes: number }
  | { readonly state: 'broken'; readonly target: Target; readonly problem: string };

export interface VerifyOptions {
  /**
   * `trailer` (default) checks existence, size and the checksum in each object's trailer
   * (one LIST and one ranged GET per object); `full` also reads every object through the
   * snapshot reader, verifying every frame.
   * @defaultValue `'trailer'`
   */
  depth?: 'trailer' | 'full';
  signal?: AbortSignal;
}

/**
 * Checks what a target's manifest names: that the manifest parses, that each object exists
 * with the recorded size and checksum, and with `depth: 'full'` that each reads cleanly.
 * Reads only; healing is the caller's (a new base from a full read).
 */
export async function verifyTarget(store: SnapshotStore, target: Target, options: VerifyOptions = {}, found?: TargetManifest): Promise<TargetHealth> {
  const current = found ?? (await readTargetManifest(store, target));
  if (current.state === 'absent') return { state: 'absent', target };
  if (current.state === 'malformed') return { state: 'broken', target, problem: current.error.message };
  const { manifest } = current;
  const chain = await inspectChain(store, manifest);
  if (chain.problem) return { state: 'broken', target, problem: chain.problem };
  const entries = [manifest.base, ...manifest.deltas];
  for (const entry of entries) {
    options.signal?.throwIfAborted();
    const checksum = await store.trailerChecksum(entry.key);
    if (checksum !== entry.checksum) {
      return { state: 'broken', target, problem: `${entry.key} has checksum ${checksum ?? 'none'} in its trailer, the manifest recorded ${entry.checksum}` };
    }
  }
  if (options.depth === 'full') {
    try {
      await readManifestObjects(store, manifest, () => undefined, options.signal);
    } catch (error) {
      if (isSnapshotDamage(error)) return { state: 'broken', target, problem: error.message };
      throw error;
    }
  }
  return { state: 'ok', target, objects: entries.length, bytes: entries.reduce((sum, e) => sum + e.bytes, 0) };
}
