// The floor run in a process of its own, started by the gate (gate.ts) or by sync-figures.ts;
// not meant to be run by hand. Settings: FLOOR_RUN (JSON FloorRunSettings). Prints one line
// `RESULT <json>` on stdout (bench/harness/measured-child.ts). The UpdateAll it is compared
// with runs in the harness's measured child.
//
// The floor: psql `COPY (...) TO STDOUT` (under /usr/bin/time for psql's own CPU) piped into
//   zlib deflateRaw at the worker's level, into a counting sink; then one PutObject of a blob
//   of the compressed size. CPU = psql user+sys + this process's CPU around pipeline and PUT.
import { spawn } from 'node:child_process';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDeflateRaw } from 'node:zlib';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '@storage-builder/services';
import { RESULT_MARKER } from '../harness/measured-child';
import { SETTINGS_VARIABLE, TIME_BINARY, type FloorRunResult, type FloorRunSettings } from './floor-protocol';

async function runFloor(settings: FloorRunSettings): Promise<FloorRunResult> {
  const s3 = new S3Client(s3ClientConfig(settings.s3));
  try {
    const args = ['-f', 'GATE_TIME %U %S %M', 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', settings.databaseUrl, ...settings.copyStatements.flatMap((sql) => ['-c', sql])];
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const psql = spawn(TIME_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    psql.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve, reject) => {
      psql.on('error', reject);
      psql.on('close', resolve);
    });
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
      createDeflateRaw({ level: settings.deflateLevel }),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          compressedBytes += chunk.length;
          callback();
        },
      }),
    );
    const code = await exited;
    if (code !== 0) throw new Error(`psql exited with ${code}: ${stderr.slice(-2000)}`);
    const match = /GATE_TIME ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(stderr);
    if (!match) throw new Error(`could not read ${TIME_BINARY} output: ${stderr.slice(-2000)}`);
    const putBefore = process.cpuUsage();
    const key = `${settings.prefix}/floor-blob`;
    await s3.send(new PutObjectCommand({ Bucket: settings.bucket, Key: key, Body: Buffer.alloc(compressedBytes, 0x5a), ContentLength: compressedBytes }));
    const put = process.cpuUsage(putBefore);
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    await s3.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key }));
    return {
      wallMs,
      psqlCpuMs: (Number(match[1]) + Number(match[2])) * 1000,
      psqlPeakRssKib: Number(match[3]),
      nodeCpuMs: (cpu.user + cpu.system) / 1000,
      putCpuMs: (put.user + put.system) / 1000,
      copyBytes,
      copyRows,
      compressedBytes,
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
