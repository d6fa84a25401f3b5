import { describe, expect, it } from 'vitest';
import { parseWatermark } from '@storage-builder/data-model';
import { decideStartingPoint } from './starting-point';

const w = parseWatermark;
const found = (watermark: string) => ({ state: 'found' as const, version: { watermark: w(watermark), savedAt: '2026-11-29T00:00:00Z', runId: 'r' } });

describe('decideStartingPoint', () => {
  it('reads in full when incremental sync is off, whatever is saved', () => {
    expect(decideStartingPoint({ incremental: false, manifestWatermark: w('10'), tracked: found('10') })).toMatchObject({ mode: 'full', since: null });
  });

  it('reads in full when there is no manifest, and says a saved version was ahead of it', () => {
    expect(decideStartingPoint({ incremental: true, manifestWatermark: undefined, tracked: found('10') })).toEqual({
      mode: 'full',
      since: null,
      reason: "no snapshot yet; the tracker's 10 is ahead of it",
    });
  });

  it('follows the manifest when it is the tracker', () => {
    expect(decideStartingPoint({ incremental: true, manifestWatermark: w('10'), tracked: undefined })).toMatchObject({ mode: 'incremental', since: '10' });
  });

  it.each([
    [{ state: 'missing' as const }, 'no saved version (missing or expired)'],
    [{ state: 'corrupt' as const, reason: 'stored value is not JSON' }, 'saved version is corrupt: stored value is not JSON'],
    [found('11'), "saved version 11 is ahead of the manifest's 10"],
  ])('falls back to a full read for a cache that is %j', (tracked, reason) => {
    expect(decideStartingPoint({ incremental: true, manifestWatermark: w('10'), tracked })).toEqual({ mode: 'full', since: null, reason });
  });

  it('lets the manifest overrule a cache that is behind it, and reads from the manifest', () => {
    expect(decideStartingPoint({ incremental: true, manifestWatermark: w('10'), tracked: found('9') })).toEqual({
      mode: 'incremental',
      since: '10',
      reason: "saved version 9 is behind the manifest; the manifest's 10 wins",
    });
  });

  it('reads incrementally when cache and manifest agree', () => {
    expect(decideStartingPoint({ incremental: true, manifestWatermark: w('10'), tracked: found('10') })).toMatchObject({ mode: 'incremental', since: '10' });
  });
});
