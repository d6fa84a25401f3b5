// Instructions per row of the streaming sync's hot paths, counted by Valgrind (callgrind).
// For the same program, input and node flags the count repeats to within about 20,000
// instructions in a billion whatever else the machine does, where CPU seconds on a shared
// 2-core machine cannot show less than about +50% (bench/gate/README.md). Each path runs over
// N and 2N generated rows, each in a fresh node; the difference over N is the cost of a row,
// start-up cancelled out. node runs with --single-threaded --predictable: no background
// compiler or GC threads, whose timing would change what the main thread executes.
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { RowValues } from '@storage-builder/data-model';
import { makeTempDir } from '@storage-builder/services';
import { SnapshotEncoder } from '@storage-builder/snapshot';
import { INJECT_VARIABLE, type Injection } from '../harness/regression-injection';
import { generateFeed, header } from '../serializer/generated-feed';
import { REPO_ROOT } from '../memory/worker-variant';

const run = promisify(execFile);

export const HOT_PATHS = {
  encode: 'instructions per row: encoder, COPY text to deflated frames',
  decode: 'instructions per row: reader, deflated frames to rows',
} as const;
export type HotPath = keyof typeof HOT_PATHS;

/** Rows of the smaller run; the larger has twice as many. The counts do not depend on the gate's mode. */
export const INSTRUCTION_ROWS = 10_000;

/** Flags that make V8 run everything on the main thread, in the same order every time. */
export const DETERMINISTIC_NODE_FLAGS = ['--single-threaded', '--predictable'] as const;

/**
 * What the counts depend on besides the code: node's build, and valgrind, whose simulated
 * CPU's features pick V8's and zlib's code paths. Not the host's CPU model: an AMD EPYC and
 * an Intel Xeon host counted the same (bench/gate/README.md).
 */
export function instructionPlatform(): string {
  return `node ${process.version} ${process.arch}, ${execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim()}`;
}

/** Why instruction counts cannot be taken here, or undefined when they can. */
export function valgrindMissing(): string | undefined {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'valgrind is not on PATH: instruction counts are skipped (install valgrind to measure them)';
  }
}

/** A value as COPY text writes it: backslash, tab, newline and carriage return escaped; NULL as \N. */
function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);
}

function inputs(rows: readonly RowValues[]): Record<HotPath, Buffer> {
  const copyText = Buffer.from(rows.map((row) => `${row.map(copyField).join('\t')}\n`).join(''));
  const encoder = new SnapshotEncoder(header('deflate'), {});
  encoder.addRows(rows);
  encoder.finish();
  return { encode: copyText, decode: encoder.takeOutput() };
}

/** A run under Valgrind takes about 10 s; one that takes this long is stuck. */
const RUN_TIMEOUT_MS = 10 * 60_000;

/**
 * The instructions callgrind counted in one run of the child over `rows` rows (start-up
 * included). The injection, if any, reaches the child through its environment, and only
 * when the caller hands it over.
 */
async function instructions(child: string, path: HotPath, file: string, rows: number, injection: Injection | undefined): Promise<number> {
  const env = { ...process.env, [INJECT_VARIABLE]: injection ?? '' };
  const { stdout, stderr } = await run(
    'valgrind',
    ['--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/dev/null', process.execPath, ...DETERMINISTIC_NODE_FLAGS, child, path, file],
    { env, maxBuffer: 16 * 1024 * 1024, timeout: RUN_TIMEOUT_MS, killSignal: 'SIGKILL' },
  );
  // A child that read less than it was given would count less, not fail.
  if (stdout.trim() !== `${path}: ${rows} rows`) throw new Error(`${path} over ${file} printed ${JSON.stringify(stdout.trim())}, expected "${path}: ${rows} rows"`);
  const collected = /Collected\s*:\s*(\d+)/.exec(stderr);
  if (!collected) throw new Error(`callgrind printed no instruction count for ${path} ${file}:\n${stderr.slice(-2000)}`);
  return Number(collected[1]);
}

/**
 * Instructions per row of each hot path, from runs over `rows` and `2 × rows` generated rows.
 * About 10 s of Valgrind per run at 10,000 rows.
 */
export async function countHotPaths(rows: number, log: (message: string) => void = () => undefined, injection?: Injection): Promise<Record<HotPath, number>> {
  const dir = await makeTempDir('instructions');
  try {
    const child = path.join(dir.path, 'hot-path-child.mjs');
    await build({
      absWorkingDir: REPO_ROOT,
      entryPoints: ['bench/gate/hot-path-child.ts'],
      outfile: child,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20.19',
      tsconfig: 'tsconfig.base.json',
      logLevel: 'warning',
    });
    const all = generateFeed(2 * rows, 1000).flatMap((batch) => batch.rows);
    const sizes = { small: { rows, files: inputs(all.slice(0, rows)) }, large: { rows: 2 * rows, files: inputs(all) } };
    const perRow = {} as Record<HotPath, number>;
    for (const hotPath of Object.keys(HOT_PATHS) as HotPath[]) {
      const counts: number[] = [];
      for (const [size, input] of Object.entries(sizes)) {
        const file = path.join(dir.path, `${hotPath}-${size}`);
        writeFileSync(file, input.files[hotPath]);
        counts.push(await instructions(child, hotPath, file, input.rows, injection));
      }
      perRow[hotPath] = (counts[1]! - counts[0]!) / rows;
      log(`${HOT_PATHS[hotPath]}: ${perRow[hotPath].toFixed(0)} (${counts.join(' and ')} instructions over ${rows} and ${2 * rows} rows)`);
    }
    return perRow;
  } finally {
    await dir.remove();
  }
}
