// What the harness and its measured children say to each other, and how a child is started.
// A child reads its runtime from the worker's own variables (DATABASE_URL, S3_*, SERIALIZER,
// PARALLELISM, INCREMENTAL: apps/worker's parseRuntimeConfig), what to measure from MEASURE
// (JSON), and prints one stdout line `RESULT <json>`.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ObjectStoreConnection } from '@storage-builder/services';
import { DEFAULT_COMPRESSION, type SerializerStrategy } from '@storage-builder/snapshot';
import { RUNTIME_VARIABLES } from '@storage-builder/worker/runtime';
import type { Injection } from './regression-injection';

export const RESULT_MARKER = 'RESULT ';
export const MEASURE_VARIABLE = 'MEASURE';
/** The lines of the start gate: the harness applies CPU limits once it reads READY, then writes GO. */
export const READY_LINE = 'READY';
export const GO_LINE = 'GO';

/** The one UpdateAll child every command measures with. */
export const UPDATE_ALL_CHILD = fileURLToPath(new URL('./update-all-child.ts', import.meta.url));

/** Where a child works: the harness's provisioned services and a key prefix of its own. */
export interface ChildConnection {
  readonly databaseUrl: string;
  readonly s3: ObjectStoreConnection;
  readonly bucket: string;
  readonly prefix: string;
}

/** The worker's switches for one UpdateAll. */
export interface UpdateAllSwitches {
  readonly serializer: SerializerStrategy;
  readonly parallelism: number;
  readonly incremental: boolean;
}

export interface MeasureOptions {
  /** @defaultValue the updater's default (3); 1 where a retry would hide a regression */
  readonly maxAttempts?: number;
  /** Count promises with async_hooks during the run: a diagnostic, never a timed figure. */
  readonly countPromises?: boolean;
  /** Print READY after start-up and wait for GO on stdin (the sandbox applies limits in between). */
  readonly startGate?: boolean;
  /** After the run, read every completed target's manifest for its chain length. */
  readonly inspectChains?: boolean;
  /** A deliberate regression (regression-injection.ts), for the gate's own test; only the gate passes one. */
  readonly injection?: Injection;
  /**
   * Run one unmeasured UpdateAll first, so the measured one sees what a long-lived worker
   * sees: code compiled by the JIT and modules loaded. Only for full syncs (an incremental
   * warm-up would consume the changes the measured run is meant to read).
   */
  readonly warmUp?: boolean;
}

/** What the child measured of one UpdateAll. CPU and RSS are the child's own, not PostgreSQL's or the store's. */
export interface MeasuredUpdateAll {
  readonly targets: number;
  readonly full: number;
  readonly incremental: number;
  /** Completed targets that wrote an object (the rest found nothing changed). */
  readonly published: number;
  readonly failed: number;
  /** `client-N/kind: error` of each failed target. */
  readonly failures: readonly string[];
  readonly rows: number;
  readonly tombstones: number;
  readonly bytes: number;
  readonly serializeCalls: number;
  /** Rows and duration of each completed target, for fitting per-row and per-target costs. */
  readonly perTarget: ReadonlyArray<{ readonly rows: number; readonly durationMs: number }>;
  /** performance.now() and process.cpuUsage() (user + system) around updateAll(). */
  readonly wallMs: number;
  readonly cpuMs: number;
  /** RunSummary.durationMs and .cpuMs, for comparison with the outer window. */
  readonly summaryDurationMs: number;
  readonly summaryCpuMs: number;
  /** From the process's start to updateAll(): node, tsx, imports, schema check, store probe. */
  readonly startupMs: number;
  /** The whole process's CPU at the end, start-up included. */
  readonly processCpuMs: number;
  /** process.resourceUsage().maxRSS in KiB before updateAll() (node + tsx + modules) and at the end. */
  readonly baselineRssKib: number;
  readonly peakRssKib: number;
  readonly heapLimitMiB: number;
  /** pg Client#query calls during updateAll (the pool's queries and the feed's COPY go through it). */
  readonly dbQueries: number;
  /** S3 commands sent during updateAll, by command name. */
  readonly s3Requests: Readonly<Record<string, number>>;
  /** Promises created during updateAll; only with `countPromises`. */
  readonly promises: number | undefined;
  /** Warnings logged during updateAll, and the first of them. */
  readonly warnings: number;
  readonly firstWarning: string | undefined;
  /** With `inspectChains`: incremental target runs that left no deltas (the publisher compacted), and the longest chain. */
  readonly compactions: number | undefined;
  readonly maxDeltas: number | undefined;
  /** What a regression injection (regression-injection.ts) did in this child, if anything. */
  readonly injected: string | undefined;
}

/**
 * The child's environment: the parent's without any of the worker's variables (one the
 * parent has set for itself, e.g. TRACKER or LEASE_TTL_SECONDS, must not change what is
 * measured), then those of `connection` and `switches`, and MEASURE.
 */
export function updateAllChildEnv(connection: ChildConnection, switches: UpdateAllSwitches, measure: MeasureOptions = {}): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(RUNTIME_VARIABLES as readonly string[]).includes(name)));
  return {
    ...inherited,
    DATABASE_URL: connection.databaseUrl,
    S3_ENDPOINT: connection.s3.endpoint,
    S3_REGION: connection.s3.region,
    AWS_ACCESS_KEY_ID: connection.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: connection.s3.secretAccessKey,
    S3_BUCKET: connection.bucket,
    S3_PREFIX: connection.prefix,
    SERIALIZER: switches.serializer,
    COMPRESSION: DEFAULT_COMPRESSION,
    PARALLELISM: String(switches.parallelism),
    INCREMENTAL: String(switches.incremental),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    [MEASURE_VARIABLE]: JSON.stringify(measure),
  };
}

/**
 * Node's command line for a child program, e.g. for runSandboxed: tsx's loader and `nodeArgs`,
 * none of the parent's own flags (a heap size or an inspector would change what is measured).
 */
export function childCommand(file: string, nodeArgs: readonly string[] = []): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', 'tsx', ...nodeArgs, file] };
}

/** The child's `RESULT` line; `what` names the child in the error when there is none. */
export function parseResultLine<R>(stdout: string, stderr: string, what: string): R {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (!line) throw new Error(`${what}: the child printed no result line; stderr: ${stderr.slice(-3000)}`);
  return JSON.parse(line.slice(RESULT_MARKER.length)) as R;
}

/** Runs a child program to its end and returns its result; a non-zero exit fails with its stderr. */
export function runMeasuredChild<R>(file: string, env: NodeJS.ProcessEnv, what: string, nodeArgs: readonly string[] = []): Promise<R> {
  const { command, args } = childCommand(file, nodeArgs);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) return reject(new Error(`${what} exited with ${code ?? signal}: ${err.slice(-3000)}`));
      try {
        resolve(parseResultLine<R>(out, err, what));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/** One UpdateAll in the measured child; fails when a target failed, naming the first. */
export async function measureUpdateAll(connection: ChildConnection, switches: UpdateAllSwitches, measure: MeasureOptions = {}, nodeArgs: readonly string[] = []): Promise<MeasuredUpdateAll> {
  const what = `UpdateAll child (${switches.serializer}, parallelism ${switches.parallelism}, incremental ${switches.incremental})`;
  const result = await runMeasuredChild<MeasuredUpdateAll>(UPDATE_ALL_CHILD, updateAllChildEnv(connection, switches, measure), what, nodeArgs);
  if (result.failed > 0) throw new Error(`${what}: ${result.failed} target(s) failed, e.g. ${result.failures[0]}`);
  return result;
}
