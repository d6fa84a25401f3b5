import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowValues, Target } from '@storage-builder/data-model';
import { migrate } from '@storage-builder/source-db';
import {
  compareTargetRows,
  findPsql,
  MULTI_WRITER_STORES,
  multiWriterServices,
  parseForceQuotedCsv,
  readWithPsql,
  runMultiWriterCheck,
  SPECIAL_TEXT,
  type MultiWriterServices,
} from '../testing';

// Several writers at once on the same targets (in-process updaters, one stalling its event
// loop; CLI runs in child processes; a BullMQ pair) while the source changes; afterwards
// every snapshot must equal what psql prints of the database. CI runs a few seeds per store;
// `npx tsx bench/reliability/multi-writer.ts --seeds 200` runs many.
const SEEDS = (process.env['MULTI_WRITER_SEEDS'] ?? '1,2').split(',').map(Number);
const psql = findPsql();
if (!psql) console.warn('multi-writer check SKIPPED: psql is not on PATH (nor in $PSQL); install the PostgreSQL client (apt-get install postgresql-client) to run it');

const csvField = (value: string | null) => (value === null ? '' : `"${value.replace(/"/g, '""')}"`);

describe('reading the database with psql: the CSV of COPY ... FORCE_QUOTE *', () => {
  it('tells NULL (unquoted) from the empty string, and keeps quotes, commas, newlines, backslashes and unicode', () => {
    const values = [...SPECIAL_TEXT, null];
    const text = values.map((v, i) => `${csvField(String(i + 1))},${csvField(v)}\n`).join('');
    expect(parseForceQuotedCsv(text, 2)).toEqual(values.map((v, i) => [String(i + 1), v]));
    expect(parseForceQuotedCsv('', 2)).toEqual([]);
  });

  it('refuses what FORCE_QUOTE * never prints rather than guessing', () => {
    expect(() => parseForceQuotedCsv('"1",abc\n', 2)).toThrow(/every non-NULL value is quoted/);
    expect(() => parseForceQuotedCsv('"1","a\n', 2)).toThrow(/never closes/);
    expect(() => parseForceQuotedCsv('"1"\n', 2)).toThrow(/1 fields, expected 2/);
  });

  it('reports lost, extra and differing rows, value by value', () => {
    const target: Target = { clientId: 1, kind: 'formulas' };
    const row = (id: string, description: string | null): RowValues => [id, `F-${id}`, 'x', description, '1'];
    const database = new Map([
      ['1', row('1', null)],
      ['2', row('2', '')],
      ['3', row('3', 'a')],
    ]);
    const snapshot = new Map([
      ['1', row('1', '')],
      ['3', row('3', 'a')],
      ['4', row('4', 'b')],
    ]);
    expect(compareTargetRows(target, database, snapshot)).toEqual({
      lost: ['client-1/formulas id 2'],
      extra: ['client-1/formulas id 4'],
      differing: ['client-1/formulas id 1: description is null in the database, "" in the snapshot'],
    });
  });
});

describe.skipIf(!psql)('randomized multi-writer check (needs psql)', () => {
  let services: MultiWriterServices & { stop(): Promise<void> };
  beforeAll(async () => {
    services = await multiWriterServices('multi-writer');
  });
  afterAll(async () => {
    await services?.stop();
  });

  it('psql reads special text back exactly as it was written', async () => {
    const pool = new pg.Pool({ connectionString: services.postgres.url, max: 1 });
    try {
      await migrate(pool);
      await pool.query(`INSERT INTO clients (id, name) VALUES (1, 'one')`);
      for (const [i, name] of SPECIAL_TEXT.entries()) {
        await pool.query(`INSERT INTO entities (client_id, id, code, name, parent_id, is_active) VALUES (1, $1, $2, $3, NULL, $4)`, [i + 1, `E-${i + 1}`, name, i % 2 === 0]);
      }
    } finally {
      await pool.end();
    }
    const rows = await readWithPsql(psql!, services.postgres.url, { clientId: 1, kind: 'entities' });
    expect([...rows.values()]).toEqual(SPECIAL_TEXT.map((name, i) => [String(i + 1), `E-${i + 1}`, name, null, i % 2 === 0 ? 't' : 'f']));
  });

  describe.each(MULTI_WRITER_STORES)('on %s', (store) => {
    it.each(SEEDS)('seed %i: after the writers stop, a quiet run, verify and psql all agree with the snapshots', async (seed) => {
      const report = await runMultiWriterCheck(seed, { services, store, psql: psql!, scale: 'quick' });
      const a = report.activity;
      console.log(
        `multi-writer seed ${seed} on ${store}: ${a.committedTransactions} transactions, ${a.keyChanges} key changes, ${a.stalls.length} stalls, ` +
          `${a.heldManifestPuts} held manifest PUTs, ${a.cliRuns.length} CLI runs, ${a.distributedRuns} distributed runs, ${(report.durationMs / 1000).toFixed(1)} s` +
          (report.concurrentFailures.length > 0 ? `\n  failed mid-run: ${report.concurrentFailures.join('\n  ')}` : ''),
      );
      expect(report.problems, `seed ${seed} on ${store}`).toEqual([]);
      expect(report.writerErrors).toEqual([]);
      expect(report.cleanupErrors).toEqual([]);
      expect(report.activity.committedTransactions).toBeGreaterThan(0);
      expect(report.quietRun).toMatchObject({ failed: 0, skipped: 0, aborted: 0 });
      expect(report.verify).toMatchObject({ broken: 0, held: 0, absent: 0 });
      expect({ lost: report.lost, extra: report.extra, differing: report.differing, broken: report.broken }).toEqual({ lost: [], extra: [], differing: [], broken: [] });
      // What the SnapshotStore's probe finds depends on the store: the proxy enforces conditions, s3rver ignores them.
      if (store === 'conditional') expect(report.detected).toEqual({ ifNoneMatch: true, ifMatch: true });
      else if (services.objectStore.provider === 'embedded') expect(report.detected).toEqual({ ifNoneMatch: false, ifMatch: false });
    });
  });
});
