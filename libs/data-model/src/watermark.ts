/**
 * A position in the source's transaction history: a 64-bit transaction id (`xid8`) in
 * decimal. Every change by a transaction at or above the watermark may not have been
 * read yet; everything below it has.
 */
export type Watermark = string & { readonly __brand: 'Watermark' };

const XID8_MAX = 2n ** 64n - 1n;

/** Validates a watermark from outside (a manifest, a tracker, a request), naming where it came from. */
export function parseWatermark(value: unknown, source = 'watermark'): Watermark {
  if (typeof value === 'string' && /^(0|[1-9]\d{0,19})$/.test(value) && BigInt(value) <= XID8_MAX) {
    return value as Watermark;
  }
  throw new Error(`${source} is ${JSON.stringify(value)}: a watermark is a transaction id (xid8), a decimal integer below 2^64`);
}

export function compareWatermarks(a: Watermark, b: Watermark): -1 | 0 | 1 {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}
