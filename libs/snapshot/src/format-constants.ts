/**
 * Fixed numbers of snapshot format version 1. FORMAT.md describes the layout they belong to;
 * a change to any of them that alters bytes is a new format version.
 */

/** `SBSNAP\r\n`: the CR LF catches a file mangled by text-mode line-ending conversion. */
export const MAGIC = Buffer.from('SBSNAP\r\n', 'latin1');
export const FORMAT_VERSION = 1;

export const FRAME_TYPE_ROWS = 0x01;
export const FRAME_TYPE_TOMBSTONES = 0x02;
export const FRAME_TYPE_TRAILER = 0xff;

/** type u8, item count u32, stored length u32, raw length u32, payload CRC32 u32. */
export const FRAME_HEADER_BYTES = 17;
/** type u8, rows u64, tombstones u64, frames u32, file CRC32 u32. */
export const TRAILER_BYTES = 25;

/**
 * A frame closes after this many items. With {@link DEFAULT_FRAME_BYTES} it bounds the
 * writer's and the reader's buffer per frame.
 */
export const DEFAULT_FRAME_ITEMS = 4096;
/** A frame closes at the first item boundary at or past this many payload bytes. */
export const DEFAULT_FRAME_BYTES = 256 * 1024;

/** Readers refuse header and frame lengths above these: a corrupt length must not allocate gigabytes. */
export const MAX_HEADER_BYTES = 64 * 1024;
/**
 * The largest raw or stored payload of one frame. The reader refuses a larger frame, and
 * the encoder refuses to write one (failing the file), so both sides use this one value.
 */
export const MAX_FRAME_PAYLOAD_BYTES = 1024 * 1024 * 1024;

/** zlib level for `deflate` frames: 1 is the fastest, and snapshots are CPU-bound, not size-bound. */
export const DEFAULT_DEFLATE_LEVEL = 1;

export const COMPRESSIONS = ['none', 'deflate'] as const;
export type Compression = (typeof COMPRESSIONS)[number];
export const DEFAULT_COMPRESSION: Compression = 'deflate';
