// The worker process the harness runs inside the resource sandbox: one UpdateAll with the
// switches it is given, against the services the harness provisioned. It measures its own
// run phase (after start-up) and prints one line `RESULT <json>` on stdout.
//
// Environment: DATABASE_URL, S3_CLIENT_CONFIG (JSON), S3_BUCKET, S3_PREFIX,
// UPDATER_SWITCHES (JSON: serializer, parallelism, incremental).
import { S3Client } from '@aws-sdk/client-s3';
import { SnapshotStore } from '@storage-builder/snapshot';
import { createSourcePool } from '@storage-builder/source-db';
import { StorageUpdater, type UpdaterOptions, sourceConnectionsFor } from '@storage-builder/updater';
import { GO_LINE, READY_LINE, RESULT_MARKER, type ChildResult } from './child-protocol';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the harness passes it to the worker child`);
  return value;
}

// Stopped at a deadline: exit through 'exit' so the probe still writes the heap and GC report.
process.once('SIGTERM', () => process.exit(143));

async function main(): Promise<void> {
  const switches = JSON.parse(required('UPDATER_SWITCHES')) as Pick<UpdaterOptions, 'serializer' | 'parallelism' | 'incremental'>;
  const pool = createSourcePool({ connectionString: required('DATABASE_URL'), max: sourceConnectionsFor(switches.parallelism ?? 1) });
  const s3 = new S3Client(JSON.parse(required('S3_CLIENT_CONFIG')));
  const store = new SnapshotStore({ s3, bucket: required('S3_BUCKET'), prefix: required('S3_PREFIX') });
  const updater = new StorageUpdater({ source: pool, store, ...switches, maxAttempts: 1 });

  try {
    await updater.check();
    // Start-up is done: let the harness apply the CPU limits, then wait for its word.
    process.stdout.write(`${READY_LINE}\n`);
    await waitForLine(GO_LINE);
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const summary = await updater.updateAll();
    const used = process.cpuUsage(cpu);
    const completed = summary.results.flatMap((r) => (r.state === 'completed' ? [r] : []));
    const result: ChildResult = {
      runWallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      runCpuSeconds: (used.user + used.system) / 1e6,
      targets: summary.targets,
      completedTargets: completed.length,
      rows: summary.rows,
      tombstones: summary.tombstones,
      bytes: summary.bytes,
      serializeCalls: completed.reduce((sum, r) => sum + r.serializeCalls, 0),
      failed: summary.results.flatMap((r) => (r.state === 'failed' ? [`client-${r.target.clientId}/${r.target.kind}: ${r.error}`] : [])),
      perTarget: completed.map((r) => ({ rows: r.rows + r.tombstones, durationMs: r.durationMs })),
    };
    process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
  } finally {
    s3.destroy();
    await pool.end();
  }
}

function waitForLine(expected: string): Promise<void> {
  return new Promise((resolve) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      if (buffered.split('\n').includes(expected)) {
        process.stdin.off('data', onData);
        // A paused stdin still holds the event loop open; the harness says nothing more.
        process.stdin.destroy();
        resolve();
      }
    };
    process.stdin.on('data', onData);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
