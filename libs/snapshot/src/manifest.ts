import { randomBytes } from 'node:crypto';
import { compareWatermarks, isDataKind, parseClientId, parseWatermark, targetId, type Target, type Watermark } from '@storage-builder/data-model';

export const MANIFEST_VERSION = 1;

/** One immutable snapshot object as the manifest records it. */
export interface ManifestObject {
  readonly key: string;
  readonly rows: number;
  readonly tombstones: number;
  readonly bytes: number;
  /** CRC32 of the file (its trailer checksum), 8 lowercase hex digits. */
  readonly checksum: string;
}
export interface ManifestBase extends ManifestObject {
  readonly watermark: Watermark;
}
export interface ManifestDelta extends ManifestObject {
  readonly fromWatermark: Watermark;
  readonly toWatermark: Watermark;
}

/**
 * The truth about one target: its base, the deltas to apply on top in order, and the
 * watermark they reach. Objects it does not name are not part of the target.
 */
export interface SnapshotManifest {
  readonly manifestVersion: typeof MANIFEST_VERSION;
  readonly target: Target;
  /** Bumped by every commit; object keys carry the generation that wrote them. */
  readonly generation: number;
  /**
   * The fencing token of the writer that committed it (its lease's token, see FORMAT.md);
   * 0 for a writer without a lease. Only grows along a target's history.
   */
  readonly fence: number;
  /** Every change below it is in base + deltas; the next delta starts here. */
  readonly watermark: Watermark;
  readonly base: ManifestBase;
  readonly deltas: readonly ManifestDelta[];
  readonly committedAt: string;
}

/**
 * `unsupported-version`: written by a newer release; never rebuilt over, since that writer
 * may still be running (a rolling deploy). `malformed`: unreadable, so replaced by a new base.
 */
export type ManifestErrorCode = 'malformed' | 'unsupported-version' | 'missing-object' | 'object-mismatch';

/** A manifest that cannot be trusted, or an object it names that is missing or different. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  constructor(
    readonly code: ManifestErrorCode,
    message: string,
    /** The manifest field (`deltas[2].toWatermark`) or object key concerned. */
    readonly where?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function checksumHex(crc: number): string {
  return crc.toString(16).padStart(8, '0');
}

/**
 * Whether `key` names a data object in the target directory `directory` (`prefix/client-N/kind/`):
 * directly in it, named as the publisher names objects. A manifest can be written by anyone
 * who can write the bucket; nothing it names outside its own target may ever be read as its
 * data or deleted as its garbage.
 */
export function isDataObjectKey(directory: string, key: string): boolean {
  return key.startsWith(directory) && DATA_OBJECT_NAME.test(key.slice(directory.length));
}

/** The name of a data object inside its target's directory; the first group is the generation. */
const DATA_OBJECT_NAME = /^g(\d{8})-(?:base|delta)-[^/]*\.snap$/;

/**
 * Parses and validates a manifest's JSON, naming the first bad field; checks the chain is
 * contiguous and, given the target's `directory`, that every object lies in it.
 */
export function parseManifest(text: string, source: string, expected?: Target, directory?: string): SnapshotManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ManifestError('malformed', `${source} is not valid JSON: ${(error as Error).message}`, source);
  }
  const fail = (field: string, why: string): never => {
    throw new ManifestError('malformed', `${source}: ${field} ${why}`, field);
  };
  const record = asRecord(value, 'manifest', fail);
  if (record.manifestVersion !== MANIFEST_VERSION) {
    const version = record.manifestVersion;
    if (typeof version === 'number' && Number.isSafeInteger(version) && version > MANIFEST_VERSION) {
      throw new ManifestError(
        'unsupported-version',
        `${source}: manifestVersion is ${version}: this reader reads version ${MANIFEST_VERSION}; a newer release wrote it, so run that release (this one leaves the target alone)`,
        'manifestVersion',
      );
    }
    fail('manifestVersion', `is ${JSON.stringify(version)}: this reader reads version ${MANIFEST_VERSION}`);
  }
  const targetRecord = asRecord(record.target, 'target', fail);
  if (!isDataKind(targetRecord.kind)) fail('target.kind', `is ${JSON.stringify(targetRecord.kind)}: not a data kind`);
  let clientId = 0;
  try {
    clientId = parseClientId(targetRecord.clientId, 'target.clientId');
  } catch (error) {
    fail('target.clientId', (error as Error).message.replace(/^target\.clientId /, ''));
  }
  const target: Target = { clientId, kind: targetRecord.kind as Target['kind'] };
  if (expected && targetId(expected) !== targetId(target)) fail('target', `is ${targetId(target)}, expected ${targetId(expected)}`);
  const generation = record.generation;
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 1) fail('generation', `is ${JSON.stringify(generation)}: a positive integer`);
  // Absent in manifests written before leases existed.
  const fence = record.fence ?? 0;
  if (typeof fence !== 'number' || !Number.isSafeInteger(fence) || fence < 0) fail('fence', `is ${JSON.stringify(fence)}: an integer >= 0`);
  const watermark = (field: string, raw: unknown) => {
    try {
      return parseWatermark(raw, field);
    } catch (error) {
      return fail(field, (error as Error).message.replace(`${field} `, ''));
    }
  };
  const object = (field: string, raw: unknown): ManifestObject => {
    const o = asRecord(raw, field, fail);
    if (typeof o.key !== 'string' || o.key.length === 0) fail(`${field}.key`, 'is not a non-empty string');
    if (directory !== undefined && !isDataObjectKey(directory, o.key as string)) {
      fail(`${field}.key`, `is ${JSON.stringify(o.key)}: not a data object of this target (they lie in ${directory} and are named g<generation>-base|delta-….snap)`);
    }
    for (const count of ['rows', 'tombstones', 'bytes'] as const) {
      const n = o[count];
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(`${field}.${count}`, `is ${JSON.stringify(n)}: a count >= 0`);
    }
    if (typeof o.checksum !== 'string' || !/^[0-9a-f]{8}$/.test(o.checksum)) fail(`${field}.checksum`, 'is not 8 lowercase hex digits (CRC32)');
    return { key: o.key as string, rows: o.rows as number, tombstones: o.tombstones as number, bytes: o.bytes as number, checksum: o.checksum as string };
  };
  const baseRecord = asRecord(record.base, 'base', fail);
  const base: ManifestBase = { ...object('base', baseRecord), watermark: watermark('base.watermark', baseRecord.watermark) };
  if (!Array.isArray(record.deltas)) fail('deltas', 'is not an array');
  let reached = base.watermark;
  const deltas = (record.deltas as unknown[]).map((raw, i): ManifestDelta => {
    const field = `deltas[${i}]`;
    const d = asRecord(raw, field, fail);
    const delta: ManifestDelta = {
      ...object(field, d),
      fromWatermark: watermark(`${field}.fromWatermark`, d.fromWatermark),
      toWatermark: watermark(`${field}.toWatermark`, d.toWatermark),
    };
    if (delta.fromWatermark !== reached) fail(`${field}.fromWatermark`, `is ${delta.fromWatermark}: the chain reached ${reached}, a delta must start where the previous one ended`);
    if (compareWatermarks(delta.toWatermark, delta.fromWatermark) < 0) fail(`${field}.toWatermark`, `is ${delta.toWatermark}: below its fromWatermark ${delta.fromWatermark}`);
    reached = delta.toWatermark;
    return delta;
  });
  const current = watermark('watermark', record.watermark);
  if (current !== reached) fail('watermark', `is ${current}, but base and deltas reach ${reached}`);
  if (typeof record.committedAt !== 'string') fail('committedAt', 'is not a string');
  const keys = [base.key, ...deltas.map((d) => d.key)];
  if (new Set(keys).size !== keys.length) fail('deltas', 'name the same object twice');
  return { manifestVersion: MANIFEST_VERSION, target, generation: generation as number, fence: fence as number, watermark: current, base, deltas, committedAt: record.committedAt as string };
}

function asRecord(value: unknown, field: string, fail: (field: string, why: string) => never): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(field, 'is not an object');
  return value as Record<string, unknown>;
}

/** Objects of `previous` that `next` no longer names: safe to delete once `next` is committed. */
export function droppedKeys(previous: SnapshotManifest | undefined, next: SnapshotManifest): string[] {
  if (!previous) return [];
  const kept = new Set([next.base.key, ...next.deltas.map((d) => d.key)]);
  return [previous.base.key, ...previous.deltas.map((d) => d.key)].filter((key) => !kept.has(key));
}

/** The generation in a data object's key (`g00000042-base-….snap`), or undefined for other keys. */
export function generationOfKey(key: string): number | undefined {
  const slash = key.lastIndexOf('/');
  const match = slash < 0 ? null : DATA_OBJECT_NAME.exec(key.slice(slash + 1));
  return match ? Number(match[1]) : undefined;
}

/**
 * The last part of a data object's key: the writer's fencing token and a random tag, so
 * that no two attempts ever write the same key and a leftover says which lease wrote it.
 */
export function attemptTag(fence: number, random: () => string = () => randomBytes(4).toString('hex')): string {
  return `f${fence}-${random()}`;
}

/** The fencing token in a data object's key; 0 for keys written before attempt tags existed. */
export function fenceOfKey(key: string): number {
  const match = /-f(\d+)-[0-9a-f]{8}\.snap$/.exec(key);
  return match ? Number(match[1]) : 0;
}

/**
 * Data objects under a target that its manifest does not name and that no writer can still
 * commit: those of an older fencing token (their writer lost the lease, so its commit is
 * refused), and those of this writer's own token from an older generation (its own failed
 * attempts). Objects of a newer token belong to a writer that may be about to commit.
 */
export function strayKeys(manifest: SnapshotManifest, listed: readonly string[], fence: number): string[] {
  const named = new Set([manifest.base.key, ...manifest.deltas.map((d) => d.key)]);
  return listed.filter((key) => {
    const generation = generationOfKey(key);
    if (generation === undefined || named.has(key)) return false;
    const writer = fenceOfKey(key);
    return writer < fence || (writer === fence && generation <= manifest.generation);
  });
}
