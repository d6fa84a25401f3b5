// What the gate hands its floor child (floor-child.ts) and gets back: settings as JSON in
// FLOOR_RUN, the result as the harness's `RESULT <json>` line.
import { fileURLToPath } from 'node:url';
import { runMeasuredChild, type ChildConnection } from '../harness/measured-child';

export const SETTINGS_VARIABLE = 'FLOOR_RUN';
/** Its `time` keyword gives psql's and gzip's own CPU to the millisecond. */
export const TIMING_SHELL = 'bash';
/** Both floors compress at `gzip -1`'s level whatever the worker's setting: the yardstick stays fixed. */
export const FLOOR_DEFLATE_LEVEL = 1;
const FLOOR_CHILD = fileURLToPath(new URL('./floor-child.ts', import.meta.url));

export interface FloorRunSettings extends ChildConnection {
  /** `COPY (...) TO STDOUT` statements, run by one psql process in order. */
  copyStatements: string[];
}

export interface FloorRunResult {
  /** Wall time of psql → deflate → sink, then one PUT. */
  wallMs: number;
  /** psql's user + system CPU (bash's `time`). */
  psqlCpuMs: number;
  /** This node process's CPU around the pipeline and the PUT: piping, compression, PUT. */
  nodeCpuMs: number;
  /** The same split: CPU of the one PUT alone. */
  putCpuMs: number;
  copyBytes: number;
  copyRows: number;
  compressedBytes: number;
  /** The native floor on the same rows: psql into `gzip -1`. */
  native: { wallMs: number; psqlCpuMs: number; gzipCpuMs: number; compressedBytes: number };
}

export function runFloorChild(settings: FloorRunSettings): Promise<FloorRunResult> {
  return runMeasuredChild<FloorRunResult>(FLOOR_CHILD, { ...process.env, [SETTINGS_VARIABLE]: JSON.stringify(settings) }, 'floor child');
}
