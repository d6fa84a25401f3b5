// An encoder written from FORMAT.md alone, as plainly as possible, sharing no code with
// the library: the format tests compare the library's bytes with these.
import { crc32, deflateRawSync } from 'node:zlib';

export interface NaiveFile {
  header: {
    kind: string;
    clientId: number;
    fromWatermark: string | null;
    toWatermark: string;
    columns: { name: string; pgType: string; nullable: boolean }[];
    compression: 'none' | 'deflate';
  };
  /** Frames exactly as they should be cut. */
  frames: ({ type: 'rows'; rows: (string | null)[][] } | { type: 'tombstones'; keys: string[] })[];
  deflateLevel?: number;
}

function u16(n: number): number[] {
  return [(n >>> 8) & 0xff, n & 0xff];
}
function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
function u64(n: number): number[] {
  return [...u32(Math.floor(n / 2 ** 32)), ...u32(n % 2 ** 32)];
}
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) + 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
function value(v: string | null): number[] {
  if (v === null) return [0];
  const bytes = [...Buffer.from(v, 'utf8')];
  return [...varint(bytes.length + 1), ...bytes];
}

export function naiveEncode(file: NaiveFile): Buffer {
  const h = file.header;
  const json = Buffer.from(
    JSON.stringify({
      kind: h.kind,
      clientId: h.clientId,
      fromWatermark: h.fromWatermark,
      toWatermark: h.toWatermark,
      columns: h.columns,
      compression: h.compression,
    }),
  );
  const afterMagic = [...u16(1), ...u32(json.length), ...json];
  const bytes: number[] = [...Buffer.from('SBSNAP\r\n', 'latin1'), ...afterMagic, ...u32(crc32(Buffer.from(afterMagic)))];
  let rows = 0;
  let tombstones = 0;
  for (const frame of file.frames) {
    const raw: number[] = [];
    if (frame.type === 'rows') {
      for (const row of frame.rows) for (const v of row) raw.push(...value(v));
      rows += frame.rows.length;
    } else {
      for (const key of frame.keys) raw.push(...value(key));
      tombstones += frame.keys.length;
    }
    const stored = h.compression === 'deflate' ? deflateRawSync(Buffer.from(raw), { level: file.deflateLevel ?? 1 }) : Buffer.from(raw);
    const count = frame.type === 'rows' ? frame.rows.length : frame.keys.length;
    bytes.push(frame.type === 'rows' ? 1 : 2, ...u32(count), ...u32(stored.length), ...u32(raw.length), ...u32(crc32(stored)), ...stored);
  }
  bytes.push(0xff, ...u64(rows), ...u64(tombstones), ...u32(file.frames.length));
  bytes.push(...u32(crc32(Buffer.from(bytes))));
  return Buffer.from(bytes);
}
