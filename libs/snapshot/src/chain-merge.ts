import { compareRowKeys, KIND_SCHEMAS, type RowKey } from '@storage-builder/data-model';
import type { SnapshotManifest } from './manifest';
import { objectFrames } from './materialize';
import { endFile, pushedOutput, syncCounts, throwIfAborted, writeWithBackpressure } from './output-writer';
import { PayloadCursor } from './row-codec';
import { encodeSnapshot } from './serialize-snapshot';
import type { SerializedSnapshot } from './serialize-types';
import type { FrameOptions, SnapshotEncoder } from './snapshot-encoder';
import { inObject, SnapshotFormatError } from './snapshot-format-error';
import type { SnapshotHeader } from './snapshot-header';
import type { SnapshotFrame } from './snapshot-reader';
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

/**
 * One sorted run of the chain: the base's rows, or a delta's rows, or a delta's tombstones
 * (the feed writes a delta's rows, then its tombstones, each in id order). `rank` orders the
 * runs by what wins for an id: later objects over earlier ones, and within a delta its
 * tombstones over its rows (as applying the file in order would). The current item is
 * `payload[start, end)`, still encoded; only its id is decoded.
 */
class Run {
  payload: Buffer = Buffer.alloc(0);
  start = 0;
  end = 0;
  /** The current item's id; undefined once the run is done. */
  id: RowKey | undefined;
  private cursor = new PayloadCursor(this.payload, 0);
  private left = 0;
  private previous: RowKey | undefined;

  constructor(
    readonly rank: number,
    /** Which of a delta's two runs this is; a base has only rows. */
    private readonly part: 'base' | 'delta rows' | 'delta tombstones',
    private readonly source: AsyncIterator<SnapshotFrame>,
    private readonly name: string,
    private readonly columns: number,
  ) {}

  get tombstones(): boolean {
    return this.part === 'delta tombstones';
  }

  close(): Promise<unknown> {
    return this.source.return?.() ?? Promise.resolve();
  }

  /** Moves to the next item; awaits only when the current frame is used up. */
  advance(): Promise<void> | void {
    if (this.left > 0) return this.settle();
    return this.load();
  }

  async load(): Promise<void> {
    for (;;) {
      const next = await this.source.next();
      if (next.done) {
        this.id = undefined;
        return;
      }
      const frame = next.value;
      if (frame.type === 'tombstones' && this.part === 'base') throw this.outOfOrder('a base holds tombstones');
      if (frame.type === 'tombstones' && this.part === 'delta rows') {
        // A delta's rows run ends at its first tombstone frame; its tombstones run reads the rest.
        await this.source.return?.();
        this.id = undefined;
        return;
      }
      if (frame.type === 'rows' && this.part === 'delta tombstones') {
        if (this.previous !== undefined) throw this.outOfOrder('a rows frame follows its tombstones');
        continue;
      }
      try {
        this.payload = frame.payload();
      } catch (error) {
        throw this.located(error);
      }
      this.cursor = new PayloadCursor(this.payload, frame.offset);
      this.left = frame.count;
      return this.settle();
    }
  }

  /** Reads the next item's id and finds its end; the reader checked that a frame holds at least one item. */
  private settle(): void {
    const cursor = this.cursor;
    // No closure per row: this runs once for every row of the chain.
    let id: string | null;
    try {
      this.start = cursor.position;
      id = cursor.readValue();
      if (id === null) throw cursor.corrupt(this.tombstones ? 'a tombstone key is null' : 'a row id is null');
      if (!this.tombstones) cursor.skipValues(this.columns - 1);
      this.end = cursor.position;
      if (--this.left === 0 && !cursor.done) throw cursor.corrupt(`bytes left after its last ${this.tombstones ? 'tombstone' : 'row'}`);
    } catch (error) {
      throw this.located(error);
    }
    if (this.previous !== undefined && compareRowKeys(id, this.previous) <= 0) throw this.outOfOrder(`id ${id} follows id ${this.previous}`);
    this.previous = id;
    this.id = id;
  }

  /** A format error found in this run's object, named with its key. */
  private located(error: unknown): unknown {
    return error instanceof SnapshotFormatError ? inObject(error, this.name) : error;
  }

  private outOfOrder(why: string): UnorderedChainError {
    return new UnorderedChainError(`${this.name} is not in id order (${why})`);
  }
}

export interface MergedChainInput {
  readonly store: SnapshotStore;
  readonly manifest: SnapshotManifest;
  /** The new base's header. */
  readonly header: SnapshotHeader;
  readonly frame?: FrameOptions;
  readonly signal?: AbortSignal;
  /** @defaultValue 1 MiB */
  readonly rangeBytes?: number;
}

/**
 * The target's current rows as one snapshot file, in id order, merged from the base and
 * every delta of the committed manifest as they stream in: for each id the latest object
 * decides (a row replaces it, a tombstone removes it). Rows are copied as they are encoded,
 * never decoded but for their ids. Each run of the merge (the base; a delta's rows and its
 * tombstones) holds one frame's payload and one ranged read of at most `rangeBytes`,
 * whatever the target's size: memory grows with the number of deltas, not with rows. Every
 * object is read whole once and checked as `readManifestObjects` checks it (a delta is read
 * twice: its tombstones run skips its rows frames without inflating them). The stream fails
 * with a damage error (see `isSnapshotDamage`) on a missing or corrupt object, with
 * {@link UnorderedChainError} on one out of id order.
 */
export function serializeMergedChain(input: MergedChainInput): SerializedSnapshot {
  return encodeSnapshot(input.header, input.frame ?? {}, ({ encoder, counters, finish }) =>
    pushedOutput(async (output) => {
      await mergeInto(encoder, input, () => {
        throwIfAborted(input.signal);
        counters.serializeCalls++;
        syncCounts({ encoder, counters });
        return writeWithBackpressure(output, encoder.takeOutput());
      });
      return endFile(output, { encoder, finish });
    }),
  );
}

/** Feeds the merged rows to `encoder`; `flush` passes on what it produced, after each frame. */
async function mergeInto(encoder: SnapshotEncoder, input: MergedChainInput, flush: () => Promise<void>): Promise<void> {
  const { store, manifest, signal } = input;
  const target = manifest.target;
  const columns = KIND_SCHEMAS[target.kind].columns.length;
  const ranged = { inRangesOf: input.rangeBytes ?? RANGE_BYTES };
  const runs: Run[] = [new Run(0, 'base', objectFrames(store, manifest.base, { target, fromWatermark: null, toWatermark: manifest.base.watermark }, signal, ranged), manifest.base.key, columns)];
  manifest.deltas.forEach((delta, i) => {
    const expect = { target, fromWatermark: delta.fromWatermark, toWatermark: delta.toWatermark };
    runs.push(new Run(2 * i + 1, 'delta rows', objectFrames(store, delta, expect, signal, ranged), delta.key, columns));
    runs.push(new Run(2 * i + 2, 'delta tombstones', objectFrames(store, delta, expect, signal, ranged), delta.key, columns));
  });
  // The encoder has output after each frame it closes: passed on (with backpressure) at once.
  try {
    for (const run of runs) await run.load();
    const [base, ...deltas] = runs as [Run, ...Run[]];
    for (;;) {
      let low: RowKey | undefined;
      for (const run of deltas) if (run.id !== undefined && (low === undefined || compareRowKeys(run.id, low) < 0)) low = run.id;
      // Most of a target is base rows no delta touches: they go through one comparison each.
      while (base.id !== undefined && (low === undefined || compareRowKeys(base.id, low) < 0)) {
        encoder.addEncodedRow(base.payload, base.start, base.end);
        const waiting = base.advance();
        if (waiting) await waiting;
        if (encoder.bufferedBytes > 0) await flush();
      }
      // Left: the lowest id a delta holds (the base's next id is not lower), or nothing.
      if (low === undefined) break;
      const at = low;
      let winner: Run | undefined;
      for (const run of runs) if (run.id === at && (!winner || run.rank > winner.rank)) winner = run;
      // Copied before any run moves on: a run's payload is replaced when its frame is used up.
      if (!winner!.tombstones) encoder.addEncodedRow(winner!.payload, winner!.start, winner!.end);
      for (const run of runs) {
        if (run.id !== at) continue;
        const waiting = run.advance();
        if (waiting) await waiting;
      }
      if (encoder.bufferedBytes > 0) await flush();
    }
  } finally {
    // Ends the objects' GETs when the merge stops early.
    await Promise.allSettled(runs.map((run) => run.close()));
  }
}
