import { describe, expect, it } from 'vitest';
import { compareWatermarks, parseWatermark } from './watermark';

describe('parseWatermark', () => {
  it('accepts decimal xid8 values up to 2^64 - 1', () => {
    expect(parseWatermark('0')).toBe('0');
    expect(parseWatermark('18446744073709551615')).toBe('18446744073709551615');
  });

  it.each([['-1'], ['01'], ['1.5'], ['18446744073709551616'], [''], [12], [null]])(
    'rejects %j, naming the source',
    (value) => {
      expect(() => parseWatermark(value, 'manifest.watermark')).toThrow(/^manifest\.watermark is .*: a watermark is a transaction id/);
    },
  );
});

describe('compareWatermarks', () => {
  it('compares as 64-bit integers, not as strings', () => {
    const [nine, ten] = [parseWatermark('9'), parseWatermark('10')];
    expect(compareWatermarks(nine, ten)).toBe(-1);
    expect(compareWatermarks(ten, nine)).toBe(1);
    expect(compareWatermarks(ten, parseWatermark('10'))).toBe(0);
  });
});
