import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { targetId } from '@storage-builder/data-model';
import { targetsOf } from '@storage-builder/updater';
import { workerFixture, type WorkerFixture } from '../testing/worker-fixture';
import { baseEnv, MAIN, startWorkerProcess, TEST_TOKEN, type WorkerProcess } from '../testing/worker-process';

let fixture: WorkerFixture;
const started: WorkerProcess[] = [];
const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const PREFIX = 'shutdown-test';

beforeAll(async () => {
  fixture = await workerFixture('worker-shutdown');
});
afterAll(async () => {
  await Promise.all(started.map((w) => w.terminate()));
  await fixture?.[Symbol.asyncDispose]();
});

describe('SIGTERM during an UpdateAll', () => {
  it('exits 0 with every target committed or untouched and no multipart upload left open', async () => {
    const worker = await startWorkerProcess(fixture.env({ PARALLELISM: '2', S3_PREFIX: PREFIX, STOP_TIMEOUT_SECONDS: '60', SERIALIZER: 'batched', COMPRESSION: 'none' }));
    started.push(worker);
    const accepted = await fetch(worker.url('/update-all'), { method: 'POST', headers: auth });
    expect(accepted.status).toBe(202);
    const { runId } = (await accepted.json()) as { runId: string };

    // Wait until the run is under way (client 1's big raw-data target is first), then stop the task.
    for (;;) {
      const run = (await (await fetch(worker.url(`/runs/${runId}`), { headers: auth })).json()) as { progress: { done: number } };
      if (run.progress.done >= 1) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await worker.terminate()).toBe(0);

    const finished = worker.logs.find((l) => l.message === 'run finished' && l['runId'] === runId);
    expect(finished, 'the run ended before the process exited').toBeDefined();
    const stopped = worker.logs.find((l) => l.message === 'worker stopped');
    expect(stopped).toMatchObject({ openMultipartUploads: 0, lastRun: runId, lastRunStatus: 'aborted' });
    // The big target went through a multipart upload that was completed.
    expect((stopped?.['multipartUploads'] as { created: number }).created).toBeGreaterThan(0);
    expect(await fixture.s3rverOpenUploads()).toSatisfy((open: string[] | undefined) => open === undefined || open.length === 0);

    const states: Record<string, number> = { committed: 0, untouched: 0 };
    for (const target of targetsOf([...Array(12).keys()].map((i) => i + 1))) {
      const state = await fixture.targetState(PREFIX, target);
      states[state.state]! += 1;
      if (state.state === 'committed') expect(state.rows, targetId(target)).toEqual(await fixture.databaseRows(target));
      else expect(state.objects.filter((key) => key.startsWith(`${PREFIX}/${targetId(target)}/`)), targetId(target)).toEqual([]);
    }
    expect(states['committed']).toBeGreaterThan(0);
    expect(states['untouched']).toBeGreaterThan(0);
    expect(states['committed']).toBe((finished?.['completed'] as { full: number }).full);
  });
});

describe('configuration at start', () => {
  it('prints the missing variable and its fix and exits non-zero', async () => {
    const env = { ...fixture.env(), S3_BUCKET: undefined };
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    const line = JSON.parse(stderr.trim()) as { level: string; message: string; variable: string };
    expect(line).toMatchObject({ level: 'error', variable: 'S3_BUCKET' });
    expect(line.message).toContain('S3_BUCKET is not set: set it to the bucket that receives snapshots');
  });

  it('names an invalid variable without echoing a secret', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { ...baseEnv(), ...fixture.env(), CONTROL_TOKEN: 'short' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    expect(await new Promise<number | null>((resolve) => child.once('exit', resolve))).toBe(2);
    expect(stderr).toContain('CONTROL_TOKEN is 5 characters long');
    expect(stderr).not.toContain('short');
  });
});
