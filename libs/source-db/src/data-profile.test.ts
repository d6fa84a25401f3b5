import { describe, expect, it } from 'vitest';
import { parseDataProfile, rowsPerClient, type DataProfile } from './data-profile';

const valid: DataProfile = {
  clients: 4,
  rows: { rawData: 1_000, entities: 10, dataItems: 7, formulas: 3, formulaAssociations: 0 },
  rawDataSkew: 0.7,
  textWidth: 40,
  seed: 42,
};

describe('parseDataProfile', () => {
  it('accepts a valid profile as it is', () => {
    expect(parseDataProfile(JSON.parse(JSON.stringify(valid)))).toEqual(valid);
  });

  it.each([
    [{ ...valid, rows: { ...valid.rows, rawData: -1 } }, 'profile.rows.rawData must be a non-negative integer, got -1'],
    [{ ...valid, rows: { ...valid.rows, formulas: 1.5 } }, 'profile.rows.formulas must be a non-negative integer, got 1.5'],
    [{ ...valid, rows: { ...valid.rows, entities: undefined } }, 'profile.rows.entities must be a non-negative integer, got undefined'],
    [{ ...valid, rows: { ...valid.rows, rawDatas: 1 } }, 'profile.rows.rawDatas is not a kind: use rawData, entities'],
    [{ ...valid, rows: [] }, 'profile.rows must be an object, got []'],
    [{ ...valid, clients: 0 }, 'profile.clients must be an integer from 1 to 100000, got 0'],
    [{ ...valid, rawDataSkew: 1.2 }, 'profile.rawDataSkew must be a number from 0 to 1, got 1.2'],
    [{ ...valid, textWidth: '40' }, 'profile.textWidth must be an integer from 0 to 4000, got "40"'],
    [{ ...valid, seed: -3 }, 'profile.seed must be an integer from 0 to 2147483647, got -3'],
    [{ ...valid, clients: 1, rawDataSkew: 0.5 }, 'profile.rawDataSkew is 0.5 with one client'],
    [null, 'profile must be an object, got null'],
  ])('rejects %j, naming the field', (input, message) => {
    expect(() => parseDataProfile(input)).toThrow(message);
  });

  it('names the source it was given', () => {
    expect(() => parseDataProfile({ ...valid, clients: -1 }, 'load-profiles/big.json')).toThrow(/^load-profiles\/big\.json\.clients must be/);
  });
});

describe('rowsPerClient', () => {
  it('gives client 1 the skewed share of raw data, splits the rest and every other kind evenly, and loses no row', () => {
    const raw = [1, 2, 3, 4].map((c) => rowsPerClient(valid, 'rawData', c));
    expect(raw).toEqual([700, 100, 100, 100]);
    const entities = [1, 2, 3, 4].map((c) => rowsPerClient(valid, 'entities', c));
    expect(entities).toEqual([3, 3, 2, 2]);
    const single = { ...valid, clients: 1, rawDataSkew: 1 };
    expect(rowsPerClient(single, 'rawData', 1)).toBe(1_000);
  });
});
