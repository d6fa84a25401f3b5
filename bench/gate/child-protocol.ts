// What the gate (parent) and its measured children say to each other: settings go in as JSON
// in the GATE_CHILD environment variable, the result comes back as one stdout line
// `GATE_RESULT <json>`. Shared by gate-child.ts, run-child.ts and sync-figures.ts.
import type { ObjectStoreConnection } from '@storage-builder/services';
import type { SerializerStrategy } from '@storage-builder/snapshot';
import type { SummaryFigures } from '../updater/summary-figures';

export const RESULT_MARKER = 'GATE_RESULT ';
export const SETTINGS_VARIABLE = 'GATE_CHILD';
/** GNU time, for psql's own CPU and peak RSS in the floor. */
export const TIME_BINARY = '/usr/bin/time';

/** Connection settings every child needs (the parent's provisioned services). */
export interface ChildConnection {
  databaseUrl: string;
  /** The provisioned object store; the child builds its S3Client with s3ClientConfig(). */
  s3: ObjectStoreConnection;
  bucket: string;
  /** Key prefix in the bucket, one per gate database. */
  prefix: string;
}

export interface UpdateRunSettings extends ChildConnection {
  kind: 'update';
  serializer: SerializerStrategy;
  parallelism: number;
  incremental: boolean;
  /**
   * A diagnostic pass: count promises with async_hooks during updateAll. Never used for a
   * timed figure (the hooks slow everything down).
   */
  countPromises: boolean;
}

export interface FloorRunSettings extends ChildConnection {
  kind: 'floor';
  /** `COPY (...) TO STDOUT` statements, run by one psql process in order. */
  copyStatements: string[];
  deflateLevel: number;
}

export type ChildSettings = UpdateRunSettings | FloorRunSettings;

export interface UpdateRunResult extends SummaryFigures {
  kind: 'update';
  /** performance.now() around updateAll(). */
  wallMs: number;
  /** process.cpuUsage() (user + system) around updateAll(). */
  cpuMs: number;
  /** From the process's start to updateAll(): node, tsx, imports, schema check, store probe. */
  startupMs: number;
  /** process.resourceUsage().maxRSS in KiB before updateAll() (node + tsx + modules) and at the end. */
  baselineRssKib: number;
  peakRssKib: number;
  heapLimitMiB: number;
  serializeCalls: number;
  /** pg Client#query calls during updateAll (pool queries go through it too). */
  dbQueries: number;
  /** S3 commands sent during updateAll, by command name (counted by an S3Client middleware). */
  s3Requests: Record<string, number>;
  /** Promises created during updateAll; only with countPromises. */
  promises: number | undefined;
  /** What the regression injection did in this child, if anything. */
  injected: string | undefined;
}

export interface FloorRunResult {
  kind: 'floor';
  /** Wall time of psql → deflate → sink, then one PUT. */
  wallMs: number;
  /** psql's user + system CPU (from /usr/bin/time). */
  psqlCpuMs: number;
  psqlPeakRssKib: number;
  /** This node process's CPU around the pipeline and the PUT: piping, compression, PUT. */
  nodeCpuMs: number;
  /** The same split: CPU of the one PUT alone. */
  putCpuMs: number;
  copyBytes: number;
  copyRows: number;
  compressedBytes: number;
}

export type ChildResult = UpdateRunResult | FloorRunResult;
