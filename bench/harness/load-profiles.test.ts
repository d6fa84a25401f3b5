import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataProfile, loadResourceProfile, PROFILES_DIR, scaleDataProfile } from './load-profiles';

const names = (kind: string) => readdirSync(path.join(PROFILES_DIR, kind)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));

describe('load profiles', () => {
  it.each(names('resources'))('resource profile %s is valid', (name) => {
    expect(loadResourceProfile(name).name).toBe(name);
  });

  it.each(names('data'))('data profile %s is valid', (name) => {
    expect(loadDataProfile(name).clients).toBeGreaterThan(0);
  });

  it('holds the incident and the write-up readings as the domain describes them', () => {
    expect(loadResourceProfile('incident').container).toEqual({ cpu: 4, memoryReservation: 256 });
    expect(loadResourceProfile('hard-quota-reading').task).toEqual({ cpu: 4, memory: 256 });
    expect(loadResourceProfile('recommended').container).toEqual({ cpu: 2048, memoryReservation: 2048, memory: 4096 });
    expect(loadResourceProfile('minimum-viable').container).toEqual({ cpu: 1024, memoryReservation: 1024, memory: 2048 });
  });

  it('names a missing profile and where profiles live', () => {
    expect(() => loadResourceProfile('no-such-profile')).toThrow(/profile .*no-such-profile.json cannot be read: check the name \(profiles are in/);
  });

  it('scales row counts and refuses a non-positive scale', () => {
    const data = loadDataProfile('scaled-incident');
    expect(scaleDataProfile(data, 2).rows.rawData).toBe(data.rows.rawData * 2);
    expect(() => scaleDataProfile(data, 0)).toThrow('scale is 0: use a positive number');
  });
});
