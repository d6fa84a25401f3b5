import { compareRowKeys, type RowKey, type RowValues, type ValueBatch } from '@storage-builder/data-model';
import type { SnapshotManifest } from './manifest';
import { objectBatches } from './materialize';
import type { SnapshotBatch } from './snapshot-reader';
import type { SnapshotStore } from './snapshot-store';

/**
 * An object of the chain whose items are not in id order (the feed always writes them in
 * order; a caller of `publish` may not have): its chain can only be merged in memory.
 */
export class UnorderedChainError extends Error {
  override readonly name = 'UnorderedChainError';
}

/**
 * Each object is read in ranged GETs of this size as the merge needs its bytes: a GET held
 * open while its run waits for the others would time out, and ranges also keep the number
 * of open connections to one per object read at a time.
 */
const RANGE_BYTES = 1024 * 1024;

/** Rows handed on per batch: one default frame. */
const MERGED_BATCH_ROWS = 4096;

/**
 * One sorted run of the chain: the base's rows, or a delta's rows, or a delta's tombstones
 * (the feed writes a delta's rows, then its tombstones, each in id order). `rank` orders the
 * runs by what wins for an id: later objects over earlier ones, and within a delta its
 * tombstones over its rows (as applying the file in order would).
 */
class Run {
  private items: readonly (RowValues | RowKey)[] = [];
  private index = 0;
  private previous: RowKey | undefined;
  /** The current item's id; undefined once the run is done. */
  id: RowKey | undefined;

  constructor(
    readonly rank: number,
    /** Which of a delta's two runs this is; a base has only rows. */
    private readonly part: 'base' | 'delta rows' | 'delta tombstones',
    private readonly source: AsyncIterator<SnapshotBatch>,
    private readonly name: string,
  ) {}

  get tombstones(): boolean {
    return this.part === 'delta tombstones';
  }

  close(): Promise<unknown> {
    return this.source.return?.() ?? Promise.resolve();
  }

  get item(): RowValues | RowKey {
    return this.items[this.index] as RowValues | RowKey;
  }

  /** Moves to the next item; awaits only when the current frame is used up. */
  advance(): Promise<void> | void {
    this.index++;
    if (this.index < this.items.length) return this.settle();
    return this.load();
  }

  async load(): Promise<void> {
    for (;;) {
      const next = await this.source.next();
      if (next.done) {
        this.id = undefined;
        return;
      }
      const batch = next.value;
      if (batch.type === 'tombstones' && this.part === 'base') throw this.outOfOrder('a base holds tombstones');
      if (batch.type === 'tombstones' && this.part === 'delta rows') {
        // A delta's rows run ends at its first tombstone frame; its tombstones run reads the rest.
        await this.source.return?.();
        this.id = undefined;
        return;
      }
      if (batch.type === 'rows' && this.part === 'delta tombstones') {
        if (this.previous !== undefined) throw this.outOfOrder('a rows frame follows its tombstones');
        continue;
      }
      this.items = batch.type === 'rows' ? batch.rows : batch.keys;
      this.index = 0;
      if (this.items.length > 0) return this.settle();
    }
  }

  private settle(): void {
    const item = this.items[this.index] as RowValues | RowKey;
    const id = (this.tombstones ? item : (item as RowValues)[0]) as RowKey;
    if (this.previous !== undefined && compareRowKeys(id, this.previous) <= 0) throw this.outOfOrder(`id ${id} follows id ${this.previous}`);
    this.previous = id;
    this.id = id;
  }

  private outOfOrder(why: string): UnorderedChainError {
    return new UnorderedChainError(`${this.name} is not in id order (${why})`);
  }
}

/**
 * The target's current rows in id order, as batches of rows, merged from the base and every
 * delta of the committed manifest as they stream in: for each id the latest object decides
 * (a row replaces it, a tombstone removes it). Each run of the merge (the base; a delta's
 * rows and its tombstones) holds one decoded frame and one ranged read of at most
 * `rangeBytes`, whatever the target's size: memory grows with the number of deltas, not with
 * rows. Every object is read whole once and checked as `readManifestObjects` checks it (a
 * delta's rows frames are read twice: its tombstones run skips them). Throws a damage error
 * (see `isSnapshotDamage`) on a missing or corrupt object, {@link UnorderedChainError} on
 * one out of id order.
 */
export async function* mergedChain(store: SnapshotStore, manifest: SnapshotManifest, signal?: AbortSignal, rangeBytes = RANGE_BYTES): AsyncGenerator<ValueBatch> {
  const target = manifest.target;
  const ranged = { inRangesOf: rangeBytes };
  const runs: Run[] = [new Run(0, 'base', objectBatches(store, manifest.base, { target, fromWatermark: null, toWatermark: manifest.base.watermark }, signal, ranged), manifest.base.key)];
  manifest.deltas.forEach((delta, i) => {
    const expect = { target, fromWatermark: delta.fromWatermark, toWatermark: delta.toWatermark };
    runs.push(new Run(2 * i + 1, 'delta rows', objectBatches(store, delta, expect, signal, ranged), delta.key));
    runs.push(new Run(2 * i + 2, 'delta tombstones', objectBatches(store, delta, expect, signal, ranged), delta.key));
  });
  try {
    for (const run of runs) await run.load();
    const [base, ...deltas] = runs as [Run, ...Run[]];
    let batch: RowValues[] = [];
    for (;;) {
      let low: RowKey | undefined;
      for (const run of deltas) if (run.id !== undefined && (low === undefined || compareRowKeys(run.id, low) < 0)) low = run.id;
      // Most of a target is base rows no delta touches: they go through one comparison each.
      while (base.id !== undefined && (low === undefined || compareRowKeys(base.id, low) < 0)) {
        batch.push(base.item as RowValues);
        const waiting = base.advance();
        if (waiting) await waiting;
        if (batch.length >= MERGED_BATCH_ROWS) {
          yield { rows: batch, tombstones: [] };
          batch = [];
        }
      }
      // Left: the lowest id a delta holds (the base's next id is not lower), or nothing.
      if (low === undefined) break;
      const at = low;
      let winner: Run | undefined;
      for (const run of runs) if (run.id === at && (!winner || run.rank > winner.rank)) winner = run;
      if (!winner!.tombstones) batch.push(winner!.item as RowValues);
      for (const run of runs) {
        if (run.id !== at) continue;
        const waiting = run.advance();
        if (waiting) await waiting;
      }
      if (batch.length >= MERGED_BATCH_ROWS) {
        yield { rows: batch, tombstones: [] };
        batch = [];
      }
    }
    if (batch.length > 0) yield { rows: batch, tombstones: [] };
  } finally {
    // Ends the objects' GETs when the merge stops early.
    await Promise.allSettled(runs.map((run) => run.close()));
  }
}
