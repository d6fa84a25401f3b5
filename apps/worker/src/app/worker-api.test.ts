import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerFixture, type WorkerFixture } from '../testing/worker-fixture';
import { startWorkerProcess, TEST_TOKEN, type WorkerProcess } from '../testing/worker-process';

let fixture: WorkerFixture;
let worker: WorkerProcess;
const auth = { authorization: `Bearer ${TEST_TOKEN}` };

beforeAll(async () => {
  fixture = await workerFixture('worker-api');
  worker = await startWorkerProcess(fixture.env({ PARALLELISM: '2', S3_PREFIX: 'api-test', STOP_TIMEOUT_SECONDS: '20' }));
});
afterAll(async () => {
  if (worker) expect(await worker.terminate()).toBe(0);
  await fixture?.[Symbol.asyncDispose]();
});

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const response = await fetch(worker.url(path), { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: (() => { try { return JSON.parse(text) as Record<string, unknown>; } catch { return undefined; } })() };
}

describe('the worker’s HTTP API on a real port', () => {
  it('enforces the token on control routes: 401 without, 403 wrong; health routes are open', async () => {
    const missing = await call('POST', '/update-all');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await call('POST', '/update-all', { authorization: 'Bearer not-the-token' })).status).toBe(403);
    expect((await call('GET', '/runs')).status).toBe(401);
    expect((await call('GET', '/runs', { authorization: 'Basic abc' })).status).toBe(401);
    expect((await call('GET', '/healthz')).status).toBe(200);
    const ready = await call('GET', '/readyz');
    expect(ready.json).toEqual({ ready: true, checks: { database: 'ok', bucket: 'ok', redis: 'ok' } });
    expect(ready.status).toBe(200);
  });

  it('refuses bad requests naming the field or the problem', async () => {
    const json = { ...auth, 'content-type': 'application/json' };
    const invalid = await call('POST', '/update-all', json, '{"reason": ');
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({ error: { code: 'invalid-json' } });
    const array = await call('POST', '/update-all', json, '[1]');
    expect(array.status).toBe(400);
    expect(array.json).toMatchObject({ error: { code: 'invalid-body', message: expect.stringContaining('JSON object') } });
    const unknown = await call('POST', '/update-all', json, '{"clientIds": [1]}');
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ error: { code: 'unknown-field', field: 'clientIds' } });
    const wrongType = await call('POST', '/update-all', json, '{"reason": 42}');
    expect(wrongType.status).toBe(400);
    expect(wrongType.json).toMatchObject({ error: { field: 'reason', message: expect.stringContaining('"reason"') } });
    const badId = await call('POST', '/clients/abc/update', auth);
    expect(badId.status).toBe(400);
    expect(badId.json).toMatchObject({ error: { field: 'clientId', message: expect.stringContaining('"abc"') } });
    const unknownClient = await call('POST', '/clients/999/update', auth);
    expect(unknownClient.status).toBe(404);
    expect(unknownClient.json).toMatchObject({ error: { code: 'unknown-client', field: 'clientId' } });
    const tooLarge = await call('POST', '/update-all', json, JSON.stringify({ reason: 'x'.repeat(20_000) }));
    expect(tooLarge.status).toBe(413);
    expect((await call('POST', '/update-all', { ...auth, 'content-type': 'text/plain' }, 'go')).status).toBe(415);
    const wrongMethod = await call('GET', '/update-all', auth);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect((await call('GET', '/nowhere')).status).toBe(404);
    expect((await call('GET', '/runs/no-such-run', auth)).status).toBe(404);
    // None of these started a run.
    expect((await call('GET', '/runs', auth)).json).toMatchObject({ running: null, runs: [] });
  });

  it('holds single-flight under 20 concurrent UpdateAll requests, then reports the run per target', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => call('POST', '/update-all', auth)));
    const runIds = new Set(answers.map((a) => a.json?.['runId']));
    expect(runIds.size).toBe(1);
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.json?.['alreadyRunning'] === true)).toHaveLength(19);
    const [runId] = [...runIds] as string[];

    // A one-client update while UpdateAll runs would write the same targets: refused.
    expect((await call('POST', '/clients/2/update', auth)).status).toBe(409);

    let run: Record<string, unknown> | undefined;
    for (;;) {
      run = (await call('GET', `/runs/${runId}`, auth)).json;
      if (run?.['status'] !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(run).toMatchObject({ id: runId, kind: 'update-all', status: 'completed', totals: { targets: 60, completed: { full: 60, incremental: 0 }, failed: 0 } });
    expect(run?.['results']).toHaveLength(60);
    expect((await call('GET', '/runs', auth)).json).toMatchObject({ running: null, runs: [{ id: runId }] });

    const metrics = await call('GET', '/metrics');
    expect(metrics.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    expect(metrics.text).toContain('storage_worker_targets_total{state="completed",mode="full"} 60');
    expect(metrics.text).toMatch(/storage_worker_rows_total\{mode="full"\} \d+/);
    expect(metrics.text).toContain('storage_worker_runs_total{outcome="completed"} 1');
    expect(metrics.text).toContain('storage_worker_multipart_uploads_open 0');
    expect(metrics.text).toContain('# TYPE nodejs_eventloop_delay_seconds gauge');
    expect(metrics.text).toContain('# TYPE nodejs_gc_pause_seconds_total counter');

    // A one-client update now runs incrementally and finds nothing new.
    const client = await call('POST', '/clients/2/update', auth);
    expect(client.status).toBe(202);
    for (;;) {
      run = (await call('GET', `/runs/${client.json?.['runId'] as string}`, auth)).json;
      if (run?.['status'] !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(run).toMatchObject({ kind: 'update-client', clientId: 2, status: 'completed', totals: { targets: 5, completed: { incremental: 5 } } });
  });

  it('verifies over the API: reports each target and rebuilds the one whose object is gone', async () => {
    const manifestKey = 'api-test/client-3/entities/manifest.json';
    const manifest = JSON.parse((await fixture.store('api-test').getText(manifestKey))!.text) as { base: { key: string } };
    await fixture.store('api-test').deleteQuietly({ clientId: 3, kind: 'entities' }, [manifest.base.key]);
    expect((await call('POST', '/clients/abc/verify', auth)).json).toMatchObject({ error: { field: 'clientId' } });
    const started = await call('POST', '/clients/3/verify', auth);
    expect(started.status).toBe(202);
    let run: Record<string, unknown> | undefined;
    for (;;) {
      run = (await call('GET', `/runs/${started.json?.['runId'] as string}`, auth)).json;
      if (run?.['status'] !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(run).toMatchObject({ kind: 'verify', clientId: 3, status: 'completed', totals: { targets: 5, ok: 4, healed: 1, broken: 0, held: 0 } });
    expect(run?.['results']).toContainEqual(
      expect.objectContaining({ clientId: 3, kind: 'entities', state: 'healed', problem: `manifest names ${manifest.base.key}, which does not exist`, result: expect.objectContaining({ state: 'completed', mode: 'full' }) }),
    );
    expect((await fixture.targetState('api-test', { clientId: 3, kind: 'entities' })).rows).toEqual(await fixture.databaseRows({ clientId: 3, kind: 'entities' }));
  });

  it('never logs the token or the database password', () => {
    const all = worker.stdout.join('\n');
    expect(all).not.toContain(TEST_TOKEN);
    const password = new URL(fixture.services.postgres.url).password;
    if (password) expect(all).not.toContain(`:${password}@`);
    expect(worker.logs.some((l) => l.message === 'target completed' && typeof l['runId'] === 'string' && typeof l['target'] === 'string')).toBe(true);
  });
});
