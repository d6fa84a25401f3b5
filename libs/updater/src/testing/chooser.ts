/** Random choices drawn from one seeded stream, so that a replay of the seed makes them again. */
export interface Chooser {
  readonly random: () => number;
  /** A whole number from `low` to `high`, both included. */
  between(range: readonly [number, number]): number;
  pick<T>(items: readonly T[]): T;
  shuffled<T>(items: readonly T[]): T[];
}

export function chooser(random: () => number): Chooser {
  const between = ([low, high]: readonly [number, number]) => low + Math.floor(random() * (high - low + 1));
  return {
    random,
    between,
    pick: <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T,
    shuffled: <T>(items: readonly T[]): T[] => {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = between([0, i]);
        [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      }
      return copy;
    },
  };
}
