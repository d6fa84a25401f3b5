import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetId } from '@storage-builder/data-model';
import { makeTempDir } from '@storage-builder/services';
import { runCommand } from '@storage-builder/services/testing';
import { targetsOf } from '@storage-builder/updater';
import { WORKER_TEST_PROFILE, workerFixture, type WorkerFixture } from './testing/worker-fixture';
import { finishedRun, startUpdateAll, startWorkerProcess, type WorkerProcess } from './testing/worker-process';

// The image runs the esbuild bundle, not the sources. Built into a temporary directory, with
// no node_modules anywhere above it, and started with the Dockerfile's own command, it must
// run a whole UpdateAll: a dependency the bundle failed to include would only show here.

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** The node flags of the Dockerfile's CMD, the part between `node` and the entry file. */
function imageNodeFlags(): string[] {
  const dockerfile = readFileSync(path.join(ROOT, 'apps/worker/Dockerfile'), 'utf8');
  const command = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
  expect(command[0]).toBe('node');
  expect(command.at(-1)).toBe('apps/worker/dist/main.mjs');
  return command.slice(1, -1);
}

let bundle: Awaited<ReturnType<typeof makeTempDir>>;
let fixture: WorkerFixture;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  bundle = await makeTempDir('worker-bundle');
  const built = await runCommand(process.execPath, [path.join(ROOT, 'tools/build-worker.mjs'), '--outdir', bundle.path], { cwd: ROOT });
  expect(built.code, built.stderr).toBe(0);
  fixture = await workerFixture('worker-bundle');
});
afterAll(async () => {
  if (worker) await worker.terminate();
  await fixture?.[Symbol.asyncDispose]();
  await bundle?.remove();
});

describe('the bundled worker, started as the image starts it', () => {
  it('runs an UpdateAll whose snapshots equal the database, and stops cleanly', async () => {
    worker = await startWorkerProcess(fixture.env({ S3_PREFIX: 'bundle', PARALLELISM: '2' }), [...imageNodeFlags(), path.join(bundle.path, 'main.mjs')]);
    const run = await finishedRun(worker, await startUpdateAll(worker));
    const targets = targetsOf(Array.from({ length: WORKER_TEST_PROFILE.clients }, (_, i) => i + 1));
    expect(run).toMatchObject({ status: 'completed', totals: { targets: targets.length, failed: 0 } });
    for (const target of targets.slice(0, 5)) {
      const state = await fixture.targetState('bundle', target);
      expect(state.state === 'committed' && state.rows, targetId(target)).toEqual(await fixture.databaseRows(target));
    }
    expect(await worker.terminate()).toBe(0);
  });
});
