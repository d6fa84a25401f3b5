// The floor run in a process of its own, started by the gate (gate.ts) or by sync-figures.ts;
// not meant to be run by hand. Settings: FLOOR_RUN (JSON FloorRunSettings). Prints one line
// `RESULT <json>` on stdout (bench/harness/measured-child.ts). The UpdateAll it is compared
// with runs in the harness's measured child.
//
// Two floors, one after the other on the same rows:
// - native: psql `COPY (...) TO STDOUT` piped into `gzip -1`, each timed by bash's `time`;
//   CPU = psql + gzip user+sys. What the hardware does with native tools, nothing of Node.
// - node: the same psql piped into zlib deflateRaw at level 1 in this process, into a
//   counting sink, then one PutObject of a blob of the compressed size; CPU = psql + this
//   process's CPU around pipeline and PUT.
// Both are fixed yardsticks: neither reads the worker's settings (level, frame sizes).
import { spawn } from 'node:child_process';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDeflateRaw } from 'node:zlib';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '@storage-builder/services';
import { RESULT_MARKER } from '../harness/measured-child';
import { FLOOR_DEFLATE_LEVEL, SETTINGS_VARIABLE, TIMING_SHELL, type FloorRunResult, type FloorRunSettings } from './floor-protocol';

/**
 * A command timed by bash's `time` keyword: its stdout, and its user+sys CPU once it ended.
 * bash prints the rusage of the command to the millisecond; GNU time rounds to 10 ms, which
 * is half of what psql or gzip spend on the quick gate's 30,000 rows.
 */
function timed(command: string, args: string[], stdin?: Readable) {
  // LC_ALL=C: bash prints the time with the locale's decimal point.
  const child = spawn(TIMING_SHELL, ['-c', 'TIMEFORMAT="GATE_TIME %3U %3S"; time "$@"', 'gate-time', command, ...args], {
    env: { ...process.env, LC_ALL: 'C' },
    stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  // Piped through this process (its CPU is not counted): handing one child's pipe to the other as stdio leaves no 'close' to wait for.
  if (stdin) stdin.pipe(child.stdin!);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const usage = new Promise<{ cpuMs: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const match = /GATE_TIME ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
      if (code !== 0) reject(new Error(`${command} exited with ${code}: ${stderr.slice(-2000)}`));
      else if (!match) reject(new Error(`could not read the time of ${command} from ${TIMING_SHELL}: ${stderr.slice(-2000)}`));
      else resolve({ cpuMs: (Number(match[1]) + Number(match[2])) * 1000 });
    });
  });
  return { stdout: child.stdout!, usage };
}

const psqlArgs = (settings: FloorRunSettings) => ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', settings.databaseUrl, ...settings.copyStatements.flatMap((sql) => ['-c', sql])];

/** psql into `gzip -1`, native on both sides. */
async function runNativeFloor(settings: FloorRunSettings): Promise<FloorRunResult['native']> {
  const started = performance.now();
  const psql = timed('psql', psqlArgs(settings));
  const gzip = timed('gzip', [`-${FLOOR_DEFLATE_LEVEL}`, '-c'], psql.stdout);
  let compressedBytes = 0;
  gzip.stdout.on('data', (chunk: Buffer) => (compressedBytes += chunk.length));
  const [psqlUsage, gzipUsage] = await Promise.all([psql.usage, gzip.usage]);
  return { wallMs: performance.now() - started, psqlCpuMs: psqlUsage.cpuMs, gzipCpuMs: gzipUsage.cpuMs, compressedBytes };
}

async function runFloor(settings: FloorRunSettings): Promise<FloorRunResult> {
  const native = await runNativeFloor(settings);
  const s3 = new S3Client(s3ClientConfig(settings.s3));
  try {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const psql = timed('psql', psqlArgs(settings));
    let copyBytes = 0;
    let copyRows = 0;
    let compressedBytes = 0;
    await pipeline(
      psql.stdout,
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          copyBytes += chunk.length;
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) copyRows++;
          callback(null, chunk);
        },
      }),
      createDeflateRaw({ level: FLOOR_DEFLATE_LEVEL }),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          compressedBytes += chunk.length;
          callback();
        },
      }),
    );
    const psqlUsage = await psql.usage;
    const putBefore = process.cpuUsage();
    const key = `${settings.prefix}/floor-blob`;
    await s3.send(new PutObjectCommand({ Bucket: settings.bucket, Key: key, Body: Buffer.alloc(compressedBytes, 0x5a), ContentLength: compressedBytes }));
    const put = process.cpuUsage(putBefore);
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    await s3.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key }));
    return {
      wallMs,
      psqlCpuMs: psqlUsage.cpuMs,
      nodeCpuMs: (cpu.user + cpu.system) / 1000,
      putCpuMs: (put.user + put.system) / 1000,
      copyBytes,
      copyRows,
      compressedBytes,
      native,
    };
  } finally {
    s3.destroy();
  }
}

async function main(): Promise<void> {
  const raw = process.env[SETTINGS_VARIABLE];
  if (!raw) throw new Error(`${SETTINGS_VARIABLE} is not set: this file is started by bench/gate/gate.ts`);
  const result = await runFloor(JSON.parse(raw) as FloorRunSettings);
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
