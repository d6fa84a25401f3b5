import { describe, expect, it } from 'vitest';
import { parseDataProfile, type DataProfile } from './data-profile';

const valid: DataProfile = {
  clients: 10,
  rows: { rawData: 150_000, entities: 2_000, dataItems: 1_000, formulas: 1_000, formulaAssociations: 3_000 },
  rawDataSkew: 0.3,
  textWidth: 24,
  seed: 1,
};

// Cases data-profile.test.ts does not hold: bounds, types and misspelt fields, named under the file.
describe('parseDataProfile on bad input', () => {
  it.each([
    [{ ...valid, textwidth: 24 }, 'big.json.textwidth is not a profile field: use clients, rows, rawDataSkew, textWidth, seed'],
    [{ ...valid, comment: 'x' }, 'big.json.comment is not a profile field'],
    [{ ...valid, rows: null }, 'big.json.rows must be an object, got null'],
    [{ ...valid, rows: undefined }, 'big.json.rows must be an object, got undefined'],
    [{ ...valid, rows: { ...valid.rows, rawData: 2 ** 53 } }, 'big.json.rows.rawData must be a non-negative integer, got 9007199254740992'],
    [{ ...valid, rows: { ...valid.rows, dataItems: '1000' } }, 'big.json.rows.dataItems must be a non-negative integer, got "1000"'],
    [{ ...valid, clients: 100_001 }, 'big.json.clients must be an integer from 1 to 100000, got 100001'],
    [{ ...valid, clients: true }, 'big.json.clients must be an integer from 1 to 100000, got true'],
    [{ ...valid, rawDataSkew: -0.1 }, 'big.json.rawDataSkew must be a number from 0 to 1, got -0.1'],
    [{ ...valid, rawDataSkew: '0.3' }, 'big.json.rawDataSkew must be a number from 0 to 1, got "0.3"'],
    [{ ...valid, textWidth: 4_001 }, 'big.json.textWidth must be an integer from 0 to 4000, got 4001'],
    [{ ...valid, seed: 2 ** 31 }, 'big.json.seed must be an integer from 0 to 2147483647, got 2147483648'],
    [{ ...valid, seed: undefined }, 'big.json.seed must be an integer from 0 to 2147483647, got undefined'],
    [[valid], 'big.json must be an object, got [{'],
  ])('%j is refused: %s', (input, message) => {
    expect(() => parseDataProfile(input, 'big.json')).toThrow(message);
  });
});
