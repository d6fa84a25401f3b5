// How the reproduce reports print a figure: a missing one as `n/a` (in prose) or `–` (in a
// table cell), durations in the unit that reads best.

export function fmtSeconds(x: number | undefined): string {
  if (x === undefined) return 'n/a';
  if (x >= 3600) return `${(x / 3600).toFixed(1)} h`;
  if (x >= 120) return `${(x / 60).toFixed(1)} min`;
  return `${x.toFixed(x < 10 ? 2 : 1)} s`;
}

export const pct = (x: number | undefined, digits = 0) => (x === undefined ? 'n/a' : `${x.toFixed(digits)}%`);

/** A speed-up or slow-down factor: `12.34x`, `150x`. */
export const times = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? 'n/a' : `${x.toFixed(x < 10 ? 2 : 0)}x`);

/** a ÷ b, undefined unless both are known and b is positive. */
export const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);

/** A table cell. */
export const cell = (x: number | undefined, digits = 1) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
