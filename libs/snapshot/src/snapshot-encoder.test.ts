import { KIND_SCHEMAS, parseWatermark } from '@storage-builder/data-model';
import { describe, expect, it } from 'vitest';
import { SnapshotEncoder } from './snapshot-encoder';
import { snapshotHeader } from './snapshot-header';
import { naiveEncode } from './testing/naive-encoder';

const target = { clientId: 42, kind: 'entities' as const };
const columns = KIND_SCHEMAS.entities.columns.map((c) => ({ ...c }));

function encode(compression: 'none' | 'deflate', fill: (e: SnapshotEncoder) => void, frame = {}) {
  const encoder = new SnapshotEncoder(
    snapshotHeader({ target, fromWatermark: parseWatermark('100'), toWatermark: parseWatermark('250'), compression }),
    frame,
  );
  fill(encoder);
  const totals = encoder.finish();
  return { bytes: encoder.takeOutput(), totals };
}

describe('snapshot encoder bytes', () => {
  const header = { kind: 'entities', clientId: 42, fromWatermark: '100', toWatermark: '250', columns };

  it('writes an empty file as header + trailer only', () => {
    const { bytes, totals } = encode('none', () => undefined);
    expect(bytes).toEqual(naiveEncode({ header: { ...header, compression: 'none' }, frames: [] }));
    expect(totals).toMatchObject({ rows: 0, tombstones: 0, frames: 0, bytes: bytes.length });
  });

  it('encodes nulls, empty strings, unicode and long values exactly as FORMAT.md says', () => {
    const long = 'x'.repeat(300) + 'ü'.repeat(70);
    const rows = [
      ['1', 'A', 'Ä name 🚀', null, 't'],
      ['2', '', long, '1', 'f'],
    ];
    const { bytes } = encode('none', (e) => {
      e.addRows(rows);
      e.addTombstones(['7', '8']);
      e.addRow(['3', 'c', 'n', null, 't']);
    });
    expect(bytes).toEqual(
      naiveEncode({
        header: { ...header, compression: 'none' },
        frames: [
          { type: 'rows', rows },
          { type: 'tombstones', keys: ['7', '8'] },
          { type: 'rows', rows: [['3', 'c', 'n', null, 't']] },
        ],
      }),
    );
  });

  it('closes frames at the item limit and at the byte limit, at row boundaries', () => {
    const rows = Array.from({ length: 7 }, (_, i) => [String(i + 1), 'code', 'name', null, 't']);
    const byItems = encode('none', (e) => e.addRows(rows), { frameItems: 3 });
    expect(byItems.bytes).toEqual(
      naiveEncode({
        header: { ...header, compression: 'none' },
        frames: [rows.slice(0, 3), rows.slice(3, 6), rows.slice(6)].map((r) => ({ type: 'rows' as const, rows: r })),
      }),
    );
    // Each row is 2 + 5 + 5 + 1 + 2 = 15 bytes: a 20-byte limit closes after the second row.
    const byBytes = encode('none', (e) => e.addRows(rows), { frameBytes: 20 });
    expect(byBytes.totals.frames).toBe(4);
    expect(byBytes.bytes).toEqual(
      naiveEncode({
        header: { ...header, compression: 'none' },
        frames: [rows.slice(0, 2), rows.slice(2, 4), rows.slice(4, 6), rows.slice(6)].map((r) => ({ type: 'rows' as const, rows: r })),
      }),
    );
  });

  it('deflates each frame payload independently', () => {
    const rows = Array.from({ length: 50 }, (_, i) => [String(i), 'same code', 'same name', null, 'f']);
    const { bytes } = encode('deflate', (e) => e.addRows(rows), { frameItems: 20 });
    expect(bytes).toEqual(
      naiveEncode({
        header: { ...header, compression: 'deflate' },
        frames: [rows.slice(0, 20), rows.slice(20, 40), rows.slice(40)].map((r) => ({ type: 'rows' as const, rows: r })),
      }),
    );
  });

  it('refuses a row with the wrong number of values, naming the kind and its columns', () => {
    expect(() => encode('none', (e) => e.addRow(['1', 'x']))).toThrow(/row 0 has 2 values: entities rows have 5 \(id, code, name/);
  });
});
