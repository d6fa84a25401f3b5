import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { MAX_FRAME_PAYLOAD_BYTES } from './format-constants';

/** The incident write-up's batch size range. */
export const MIN_BATCH_SIZE = 500;
export const MAX_BATCH_SIZE = 20_000;
/** Share of the free memory one batch may take: several targets and the upload buffers share the rest. */
export const DEFAULT_BATCH_MEMORY_FRACTION = 1 / 64;
/**
 * Bytes a batch holds per item. A batch holds references to rows the feed already
 * allocated, so this counts the reference, the array slot and a generous share of the
 * row, to stay on the safe side.
 */
export const DEFAULT_BYTES_PER_ITEM = 512;

/** Memory the process may still use: the smallest of what the OS, V8 and the cgroup allow. */
export interface MemoryFacts {
  readonly freeBytes: number;
  /** Which of the limits was the smallest, for logs. */
  readonly limitedBy: 'os' | 'v8-heap' | 'cgroup';
}

export function readMemoryFacts(): MemoryFacts {
  const heap = getHeapStatistics();
  const candidates: [MemoryFacts['limitedBy'], number][] = [
    ['os', freemem()],
    ['v8-heap', heap.heap_size_limit - heap.used_heap_size],
  ];
  const cgroup = readCgroupHeadroom();
  if (cgroup !== undefined) candidates.push(['cgroup', cgroup]);
  candidates.sort((a, b) => a[1] - b[1]);
  const [limitedBy, freeBytes] = candidates[0] as [MemoryFacts['limitedBy'], number];
  return { freeBytes: Math.max(0, freeBytes), limitedBy };
}

/** Limit minus usage of this process's memory cgroup (v2, then v1), or undefined when unlimited or unreadable. */
function readCgroupHeadroom(): number | undefined {
  const pairs: [string, string][] = [
    ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory.current'],
    ['/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/memory/memory.usage_in_bytes'],
  ];
  for (const [limitFile, usageFile] of pairs) {
    try {
      const limitText = readFileSync(limitFile, 'utf8').trim();
      if (limitText === 'max') return undefined;
      const limit = Number(limitText);
      // v1 reports "unlimited" as a number near 2^63.
      if (!Number.isFinite(limit) || limit >= 2 ** 60) return undefined;
      return limit - Number(readFileSync(usageFile, 'utf8').trim());
    } catch {
      // not this cgroup version, or not readable here
    }
  }
  return undefined;
}

export interface BatchSizingOptions {
  /**
   * Reads the memory the process may still use; tests inject a fixed answer.
   * @defaultValue {@link readMemoryFacts}
   */
  memory?: () => MemoryFacts;
  /** @defaultValue {@link DEFAULT_BATCH_MEMORY_FRACTION} */
  memoryFraction?: number;
  /** @defaultValue {@link DEFAULT_BYTES_PER_ITEM} */
  bytesPerItem?: number;
}

/**
 * The write-up's memory-aware batch size: a fraction of free memory divided by the cost
 * of an item, clamped to 500-20,000. Under pressure it falls to 500, which holds only
 * 500 references to rows the feed allocated anyway: never more memory than legacy's
 * per-item path plus a few kilobytes.
 */
export function chooseBatchSize(options: BatchSizingOptions = {}): number {
  const fraction = options.memoryFraction ?? DEFAULT_BATCH_MEMORY_FRACTION;
  const perItem = options.bytesPerItem ?? DEFAULT_BYTES_PER_ITEM;
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`memoryFraction is ${fraction}: use a number in (0, 1]`);
  if (!(perItem > 0)) throw new Error(`bytesPerItem is ${perItem}: use a positive number`);
  const { freeBytes } = (options.memory ?? readMemoryFacts)();
  const size = Math.floor((freeBytes * fraction) / perItem);
  return Math.min(MAX_BATCH_SIZE, Math.max(MIN_BATCH_SIZE, size));
}

/**
 * The largest frame payload this process reads and, by default, writes: a quarter of V8's
 * heap limit (a frame's rows, decoded, take a few times its bytes), at most the format's
 * limit. A frame header that claims more is refused before anything is read or inflated, so
 * whoever can write the bucket cannot make the worker hold a frame of any size; a frame's
 * stored and inflated copies live outside the heap, and compaction holds one frame per run
 * of its merge, so this bounds a frame, not the worker's memory. The writer's frames (256 KiB
 * by default) are far below it unless one row alone is that large.
 */
export function frameReadLimit(heapLimitBytes = getHeapStatistics().heap_size_limit): number {
  return Math.min(MAX_FRAME_PAYLOAD_BYTES, Math.floor(heapLimitBytes / 4));
}
