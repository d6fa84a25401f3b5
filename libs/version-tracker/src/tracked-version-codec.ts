import { parseWatermark } from '@storage-builder/data-model';
import type { TrackedVersion, TrackerLookup } from './version-tracker';

export function encodeTrackedVersion(version: TrackedVersion): string {
  return JSON.stringify({ watermark: version.watermark, savedAt: version.savedAt, runId: version.runId });
}

/** Decodes a stored value; anything unreadable is reported as `corrupt` with the reason, never thrown. */
export function decodeTrackedVersion(raw: string | null | undefined): TrackerLookup {
  if (raw === null || raw === undefined) return { state: 'missing' };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { state: 'corrupt', reason: `stored value is not JSON: ${JSON.stringify(raw.slice(0, 80))}` };
  }
  if (typeof value !== 'object' || value === null) return { state: 'corrupt', reason: `stored value is not an object: ${raw.slice(0, 80)}` };
  const record = value as Record<string, unknown>;
  try {
    const watermark = parseWatermark(record['watermark'], 'stored watermark');
    const savedAt = typeof record['savedAt'] === 'string' && !Number.isNaN(Date.parse(record['savedAt'])) ? record['savedAt'] : undefined;
    if (!savedAt) return { state: 'corrupt', reason: `stored savedAt is ${JSON.stringify(record['savedAt'])}, not an ISO time` };
    const runId = typeof record['runId'] === 'string' ? record['runId'] : '';
    return { state: 'found', version: { watermark, savedAt, runId } };
  } catch (error) {
    return { state: 'corrupt', reason: (error as Error).message };
  }
}
