// The writers that change the source while the snapshots are written, and what they did.
import { setTimeout as sleepFor } from 'node:timers/promises';
import type pg from 'pg';
import { KIND_SCHEMAS, targetId, type Target } from '@storage-builder/data-model';
import { applyChurn, WriteTransaction } from '@storage-builder/source-db';
import { errorMessage } from '../logger';
import type { Chooser } from './chooser';
import type { ScalePlan } from './multi-writer-options';
import type { PhaseClock } from './phase-clock';
import { fitted, SPECIAL_NUMERIC, SPECIAL_TEXT, TEXT_COLUMNS } from './special-text';

export type WriterCounters = {
  committedTransactions: number;
  rolledBackTransactions: number;
  conflictedTransactions: number;
  keyChanges: number;
  reinserts: number;
  specialTextWrites: number;
  longTransactions: number;
};

/** SQLSTATEs of transactions that lost to another writer: deadlock, lock timeout, duplicate key, serialization. */
const WRITER_CONFLICTS = new Set(['40P01', '55P03', '23505', '40001']);

/** What a transaction changes in the writers' bookkeeping, applied only once it has committed. */
type Effects = Array<() => void>;

/** A transaction held open across rounds of the other writers. */
interface LongTransaction {
  readonly tx: WriteTransaction;
  readonly effects: Effects;
}

/**
 * Concurrent psql-like writers over `WriteTransaction` (as in the single-writer randomized
 * check): transactions of 1–3 random operations held open a random while so that commits
 * land out of xid order, 10 % rolled back. Operations: inserts (some with special text),
 * updates, special-text updates, deletes, re-inserts of deleted keys, key changes (UPDATE of
 * id, sometimes onto a deleted key). Ids they pick may be stale: an operation on a row that
 * is gone changes nothing, and a duplicate key rolls its transaction back.
 */
export class SourceWriters {
  readonly counters: WriterCounters = SourceWriters.noCounters();
  /** SQL errors that are not conflicts between writers: a bug of these writers. */
  readonly errors: string[] = [];
  private nextId = 1_000_000;
  private readonly known = new Map<string, number[]>();
  private readonly deleted = new Map<string, number[]>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly choose: Chooser,
    private readonly targets: readonly Target[],
    seededIds: (target: Target) => number,
  ) {
    for (const target of targets) {
      this.known.set(targetId(target), Array.from({ length: seededIds(target) }, (_, i) => i + 1));
      this.deleted.set(targetId(target), []);
    }
  }

  static noCounters(): WriterCounters {
    return { committedTransactions: 0, rolledBackTransactions: 0, conflictedTransactions: 0, keyChanges: 0, reinserts: 0, specialTextWrites: 0, longTransactions: 0 };
  }

  /**
   * The writers' part of the concurrent phase, in rounds while the phase runs: a few writers
   * at once, an out-of-order churn in one round, and a long transaction open from the start
   * (committed at a random round, then sometimes a second one held across the rounds left).
   * `rounds` draws the plan; this object's own chooser draws what each transaction does.
   */
  async writeInRounds(rounds: Chooser, plan: ScalePlan, clock: PhaseClock, clientIds: readonly number[]): Promise<void> {
    const count = rounds.between(plan.writerRounds);
    const commitLongAfter = rounds.between([0, count - 1]);
    const churnAt = rounds.between([0, count - 1]);
    let long = await this.openLong();
    let reopened = false;
    try {
      for (let round = 0; round < count && clock.running; round++) {
        const writers = rounds.between(plan.writers);
        await Promise.all(Array.from({ length: writers }, () => this.run(rounds.between(plan.transactionsPerWriter))));
        if (round === churnAt) await this.churn(rounds.pick(clientIds));
        if (long && round >= commitLongAfter) {
          await this.closeLong(long);
          long = undefined;
          if (!reopened && round + 2 < count) {
            reopened = true;
            long = await this.openLong();
          }
        }
        await clock.pause(rounds.between([50, 350]));
      }
    } finally {
      if (long) await this.closeLong(long);
    }
  }

  private async run(transactions: number): Promise<void> {
    for (let i = 0; i < transactions; i++) await this.transaction();
  }

  /** A transaction that writes now and commits only when `closeLong` is called: it holds every watermark back. */
  private async openLong(): Promise<LongTransaction | undefined> {
    let tx: WriteTransaction | undefined;
    try {
      tx = await WriteTransaction.begin(this.pool);
      const effects: Effects = [];
      await this.insert(tx, this.choose.pick(this.targets), effects, true);
      this.counters.longTransactions++;
      return { tx, effects };
    } catch (error) {
      await this.abandon(tx, error);
      return undefined;
    }
  }

  private async closeLong({ tx, effects }: LongTransaction): Promise<void> {
    try {
      await this.commit(tx, effects);
    } catch (error) {
      this.failed(error);
    }
  }

  /** Two transactions committed in the reverse of their xid order (`applyChurn` with `outOfOrder`). */
  private async churn(clientId: number): Promise<void> {
    try {
      await applyChurn(this.pool, { rate: 0.05, seed: 1 + Math.floor(this.choose.random() * 1_000_000), clientIds: [clientId], outOfOrder: true, textWidth: 12 });
      this.counters.committedTransactions += 2;
    } catch (error) {
      this.failed(error);
    }
    // Its inserts went above the largest id: keep fresh ids clear of them.
    this.nextId += 10_000;
  }

  private async transaction(): Promise<void> {
    let tx: WriteTransaction | undefined;
    try {
      tx = await WriteTransaction.begin(this.pool);
      const effects: Effects = [];
      const operations = 1 + Math.floor(this.choose.random() * 3);
      for (let i = 0; i < operations; i++) await this.operation(tx, effects);
      // Held a random while, so commits land out of xid order.
      await sleepFor(Math.floor(this.choose.random() * 20));
      if (this.choose.random() < 0.1) {
        await tx.rollback();
        this.counters.rolledBackTransactions++;
        return;
      }
      await this.commit(tx, effects);
    } catch (error) {
      await this.abandon(tx, error);
    }
  }

  /** Commits; only then does the bookkeeping learn what the transaction changed. */
  private async commit(tx: WriteTransaction, effects: Effects): Promise<void> {
    await tx.commit();
    this.counters.committedTransactions++;
    for (const effect of effects) effect();
  }

  /** A transaction that failed: counted or listed, and rolled back if it began. */
  private async abandon(tx: WriteTransaction | undefined, error: unknown): Promise<void> {
    this.failed(error);
    await tx?.[Symbol.asyncDispose]().catch(() => undefined);
  }

  private failed(error: unknown): void {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && WRITER_CONFLICTS.has(code)) this.counters.conflictedTransactions++;
    else if (this.errors.length < 20) this.errors.push(errorMessage(error));
  }

  /** 1–3 ids of the target's rows as these writers last knew them (perhaps gone since). */
  private ids(target: Target): number[] {
    const known = this.known.get(targetId(target))!;
    return Array.from({ length: 1 + Math.floor(this.choose.random() * 3) }, () => this.choose.pick(known));
  }

  private async operation(tx: WriteTransaction, effects: Effects): Promise<void> {
    const target = this.choose.pick(this.targets);
    const { kind, clientId } = target;
    const id = targetId(target);
    const { table } = KIND_SCHEMAS[kind];
    const choice = this.choose.random();
    if (choice < 0.2) return this.insert(tx, target, effects, this.choose.random() < 0.5);
    if (choice < 0.4) {
      await tx.updateRows(kind, clientId, this.ids(target));
      return;
    }
    if (choice < 0.6) return this.special(tx, target, this.ids(target), effects);
    if (choice < 0.75) {
      const ids = this.ids(target);
      if ((await tx.deleteRows(kind, clientId, ids)) > 0) effects.push(() => this.deleted.get(id)!.push(...ids));
      return;
    }
    if (choice < 0.87) {
      const deleted = this.deleted.get(id)!;
      if (deleted.length === 0) return this.insert(tx, target, effects, false);
      const again = this.choose.pick(deleted);
      await tx.insertRows(kind, clientId, again, 1, 7, 12);
      effects.push(() => {
        this.known.get(id)!.push(again);
        this.counters.reinserts++;
      });
      return;
    }
    // A key change: the old id is a delete, the new one an insert (sometimes of a deleted key).
    const from = this.choose.pick(this.known.get(id)!);
    const deleted = this.deleted.get(id)!;
    const to = deleted.length > 0 && this.choose.random() < 0.4 ? this.choose.pick(deleted) : this.nextId++;
    if ((await tx.query(`UPDATE ${table} SET id = $3 WHERE client_id = $1 AND id = $2`, [clientId, from, to])) > 0) {
      effects.push(() => {
        this.deleted.get(id)!.push(from);
        this.known.get(id)!.push(to);
        this.counters.keyChanges++;
      });
    }
  }

  private async insert(tx: WriteTransaction, target: Target, effects: Effects, special: boolean): Promise<void> {
    const count = 1 + Math.floor(this.choose.random() * 3);
    const from = this.nextId;
    this.nextId += count;
    await tx.insertRows(target.kind, target.clientId, from, count, 7, 12);
    const ids = Array.from({ length: count }, (_, i) => from + i);
    effects.push(() => this.known.get(targetId(target))!.push(...ids));
    if (special) await this.special(tx, target, ids, effects);
  }

  private async special(tx: WriteTransaction, target: Target, ids: readonly number[], effects: Effects): Promise<void> {
    const { table } = KIND_SCHEMAS[target.kind];
    const columns = TEXT_COLUMNS[target.kind];
    if (target.kind === 'raw-data' && this.choose.random() < 0.3) {
      await tx.query(`UPDATE ${table} SET numeric_value = $3::numeric WHERE client_id = $1 AND id = ANY($2::bigint[])`, [target.clientId, ids, this.choose.pick(SPECIAL_NUMERIC)]);
    } else if (columns.length === 0) {
      await tx.updateRows(target.kind, target.clientId, ids);
      return;
    } else {
      const column = this.choose.pick(columns);
      const value = column.nullable && this.choose.random() < 0.25 ? null : fitted(this.choose.pick(SPECIAL_TEXT), column);
      await tx.query(`UPDATE ${table} SET ${column.name} = $3 WHERE client_id = $1 AND id = ANY($2::bigint[])`, [target.clientId, ids, value]);
    }
    effects.push(() => this.counters.specialTextWrites++);
  }
}
