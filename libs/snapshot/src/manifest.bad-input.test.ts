import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest } from './manifest';

const object = (key: string) => ({ key, rows: 3, tombstones: 0, bytes: 120, checksum: '0a1b2c3d' });
const valid = {
  manifestVersion: 1,
  target: { clientId: 42, kind: 'raw-data' },
  generation: 3,
  watermark: '30',
  base: { ...object('client-42/raw-data/base'), watermark: '10' },
  deltas: [
    { ...object('client-42/raw-data/d1'), fromWatermark: '10', toWatermark: '20' },
    { ...object('client-42/raw-data/d2'), fromWatermark: '20', toWatermark: '30' },
  ],
  committedAt: '2024-01-01T00:00:00.000Z',
};

/** The valid manifest with one field replaced (or removed, with undefined) at a dotted path. */
function withField(path: string, value: unknown): string {
  const copy = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
  const keys = path.split('.');
  let at = copy as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[keys.at(-1)!] = value;
  return JSON.stringify(copy);
}

function errorOf(text: string): ManifestError {
  try {
    parseManifest(text, 'manifest client-42/raw-data/manifest.json', { clientId: 42, kind: 'raw-data' });
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error('expected a ManifestError');
}

// Every field a commit relies on: the error is `malformed`, names the manifest and the field
// (`where`), and says what was found and what is expected.
describe('parseManifest on bad input', () => {
  it('accepts the valid manifest the cases start from', () => {
    expect(parseManifest(JSON.stringify(valid), 'm').deltas).toHaveLength(2);
  });

  it.each([
    ['manifestVersion', withField('manifestVersion', '1'), 'manifestVersion is "1": this reader reads version 1'],
    ['target', withField('target', 'client-42/raw-data'), 'target is not an object'],
    ['target.kind', withField('target.kind', 'rawdata'), 'target.kind is "rawdata": not a data kind'],
    ['target.clientId', withField('target.clientId', 0), 'target.clientId is 0: a client id is a positive 32-bit integer'],
    ['target', withField('target.clientId', 43), 'target is client-43/raw-data, expected client-42/raw-data'],
    ['generation', withField('generation', 0), 'generation is 0: a positive integer'],
    ['generation', withField('generation', '3'), 'generation is "3": a positive integer'],
    ['base', withField('base', null), 'base is not an object'],
    ['base.key', withField('base.key', ''), 'base.key is not a non-empty string'],
    ['base.rows', withField('base.rows', -1), 'base.rows is -1: a count >= 0'],
    ['base.bytes', withField('base.bytes', 1.5), 'base.bytes is 1.5: a count >= 0'],
    ['base.checksum', withField('base.checksum', '0A1B2C3D'), 'base.checksum is not 8 lowercase hex digits (CRC32)'],
    ['base.watermark', withField('base.watermark', 10), 'base.watermark is 10: a watermark is a transaction id'],
    ['deltas', withField('deltas', {}), 'deltas is not an array'],
    ['deltas[1]', withField('deltas', [valid.deltas[0], 'd2']), 'deltas[1] is not an object'],
    ['deltas[0].tombstones', withField('deltas', [{ ...valid.deltas[0], tombstones: undefined }, valid.deltas[1]]), 'deltas[0].tombstones is undefined: a count >= 0'],
    ['deltas[1].fromWatermark', withField('deltas', [valid.deltas[0], { ...valid.deltas[1], fromWatermark: '25' }]), 'deltas[1].fromWatermark is 25: the chain reached 20'],
    ['deltas[0].toWatermark', withField('deltas', [{ ...valid.deltas[0], toWatermark: '5' }]), 'deltas[0].toWatermark is 5: below its fromWatermark 10'],
    ['watermark', withField('watermark', '40'), 'watermark is 40, but base and deltas reach 30'],
    ['committedAt', withField('committedAt', undefined), 'committedAt is not a string'],
    ['deltas', withField('deltas', [valid.deltas[0], { ...valid.deltas[1], key: valid.base.key }]), 'deltas name the same object twice'],
  ])('names %s', (where, text, message) => {
    const error = errorOf(text);
    expect(error.code).toBe('malformed');
    expect(error.where).toBe(where);
    expect(error.message).toContain(`manifest client-42/raw-data/manifest.json: ${message}`);
  });

  it.each([
    ['an empty file', ''],
    ['a truncated file', JSON.stringify(valid).slice(0, 40)],
    ['a foreign file', '<?xml version="1.0"?><Error/>'],
  ])('names %s as not JSON', (_case, text) => {
    const error = errorOf(text);
    expect(error).toMatchObject({ code: 'malformed', where: 'manifest client-42/raw-data/manifest.json' });
    expect(error.message).toMatch(/^manifest client-42\/raw-data\/manifest\.json is not valid JSON: /);
  });

  it('names a JSON value that is not a manifest', () => {
    expect(errorOf('[]').message).toBe('manifest client-42/raw-data/manifest.json: manifest is not an object');
  });
});

// Anyone who can write the bucket can write a manifest: what it names must stay inside its target.
describe('parseManifest with the target directory', () => {
  const directory = 'snapshots/client-42/raw-data/';
  const own = `${directory}g00000003-base-10-f7-0a1b2c3d.snap`;
  const confined = (key: string) => {
    const text = withField('base.key', key);
    try {
      parseManifest(text, 'm', { clientId: 42, kind: 'raw-data' }, directory);
      return 'accepted';
    } catch (error) {
      if (error instanceof ManifestError && error.code === 'malformed') return error.message;
      throw error;
    }
  };
  it('accepts the data objects of its own target', () => {
    const text = JSON.stringify({ ...valid, base: { ...valid.base, key: own }, deltas: valid.deltas.map((d, i) => ({ ...d, key: `${directory}g0000000${i + 3}-delta-${d.fromWatermark}-${d.toWatermark}-f7-0a1b2c3d.snap` })) });
    expect(parseManifest(text, 'm', { clientId: 42, kind: 'raw-data' }, directory).base.key).toBe(own);
  });

  it.each([
    ['another client', 'snapshots/client-2/raw-data/g00000001-base-10-f1-0a1b2c3d.snap'],
    ['another kind', 'snapshots/client-42/entities/g00000001-base-10-f1-0a1b2c3d.snap'],
    ['outside the prefix', 'other-tenant/precious.dat'],
    ['a path that climbs out', `${directory}../../client-2/raw-data/g00000001-base-10-f1-0a1b2c3d.snap`],
    ['an absolute key', `/${own}`],
    ['the manifest itself', `${directory}manifest.json`],
    ['a sub-folder', `${directory}x/g00000001-base-10-f1-0a1b2c3d.snap`],
  ])('refuses a key of %s as a malformed manifest', (_, key) => {
    expect(confined(key)).toContain(`base.key is ${JSON.stringify(key)}: not a data object of this target`);
  });
});
