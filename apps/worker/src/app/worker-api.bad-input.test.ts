// Bad requests to the worker's HTTP API on a real port: each answers the documented status with
// an error naming the field or the problem, and none starts a run or writes to the bucket.
import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionServices } from '@storage-builder/services';
import { migrate, parseDataProfile, seedDatabase } from '@storage-builder/source-db';
import { MAX_BODY_BYTES } from '../http/json-body';
import { workerEnv } from '../testing/worker-fixture';
import { startWorkerProcess, TEST_TOKEN, type WorkerProcess } from '../testing/worker-process';

let services: Awaited<ReturnType<typeof provisionServices>>;
let s3: S3Client;
let worker: WorkerProcess;
const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const json = { ...auth, 'content-type': 'application/json' };

beforeAll(async () => {
  services = await provisionServices({ label: 'worker-api-bad-input', redis: false });
  const pool = new pg.Pool({ connectionString: services.postgres.url, max: 2 });
  try {
    await migrate(pool);
    await seedDatabase(pool, parseDataProfile({ clients: 2, rows: { rawData: 20, entities: 2, dataItems: 2, formulas: 2, formulaAssociations: 2 }, rawDataSkew: 0.5, textWidth: 8, seed: 4 }));
  } finally {
    await pool.end();
  }
  s3 = new S3Client(services.objectStore.clientConfig);
  worker = await startWorkerProcess(workerEnv(services, { PARALLELISM: '1', STOP_TIMEOUT_SECONDS: '10' }));
});
afterAll(async () => {
  if (worker) expect(await worker.terminate()).toBe(0);
  s3?.destroy();
  await services?.stop();
});

interface Answer {
  status: number;
  headers: Headers;
  error: { code?: string; message?: string; field?: string } | undefined;
}

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const response = await fetch(worker.url(path), { method, headers, body });
  const text = await response.text();
  let parsed: { error?: Answer['error'] } | undefined;
  try {
    parsed = JSON.parse(text) as { error?: Answer['error'] };
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, error: parsed?.error };
}

/** A request fetch cannot send: a body with no content type, chunks without a length, a length that is a lie. */
function raw(path: string, headers: Record<string, string>, chunks: readonly string[], end = true): Promise<{ status: number; error: Answer['error'] }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: worker.port, method: 'POST', path, headers: { ...auth, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, error: (JSON.parse(text) as { error: Answer['error'] }).error });
      });
    });
    // The server may close the connection on a refused body while chunks are still being sent.
    req.on('error', (error: NodeJS.ErrnoException) => (['EPIPE', 'ECONNRESET'].includes(error.code ?? '') ? undefined : reject(error)));
    for (const chunk of chunks) req.write(chunk);
    if (end) req.end();
    else req.flushHeaders();
  });
}

const bucketKeys = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: services.objectStore.bucket }))).Contents ?? []).map((o) => o.Key);

describe('bad requests to the worker’s HTTP API', () => {
  it.each([
    ['truncated JSON', '/update-all', '{"reason": ', 400, 'invalid-json', undefined, 'the body is not valid JSON'],
    ['JSON with trailing text', '/update-all', '{"reason": "a"} and more', 400, 'invalid-json', undefined, 'the body is not valid JSON'],
    ['null', '/update-all', 'null', 400, 'invalid-body', undefined, 'the body must be a JSON object, got null'],
    ['a string', '/update-all', '"go"', 400, 'invalid-body', undefined, 'the body must be a JSON object, got "go"'],
    ['a number', '/clients/1/update', '42', 400, 'invalid-body', undefined, 'the body must be a JSON object, got 42'],
    ['a null reason', '/update-all', '{"reason": null}', 400, 'invalid-field', 'reason', 'field "reason" must be a string of at most 200 characters'],
    ['a list reason', '/update-all', '{"reason": ["a"]}', 400, 'invalid-field', 'reason', 'field "reason" must be a string'],
    ['a long reason', '/update-all', JSON.stringify({ reason: 'x'.repeat(201) }), 400, 'invalid-field', 'reason', 'at most 200 characters'],
    ['an unknown field', '/update-all', '{"reason": "x", "force": true}', 400, 'unknown-field', 'force', 'field "force" is not accepted: the only field is "reason"'],
    ['a client id in the body', '/update-all', '{"clientId": 2}', 400, 'unknown-field', 'clientId', 'field "clientId" is not accepted'],
    ['a __proto__ field', '/update-all', '{"__proto__": {"reason": "x"}}', 400, 'unknown-field', '__proto__', 'field "__proto__" is not accepted'],
  ])('POST with %s → %i %s', async (_case, path, body, status, code, field, message) => {
    const answer = await call('POST', path, json, body);
    expect(answer.status).toBe(status);
    expect(answer.error).toMatchObject({ code, ...(field ? { field } : {}) });
    expect(answer.error?.message).toContain(message);
  });

  it.each([
    ['0', 'clients/0/update'],
    ['-1', 'clients/-1/update'],
    ['1.5', 'clients/1.5/update'],
    ['2147483648', 'clients/2147483648/update'],
    ['1e3', 'clients/1e3/update'],
    [' ', 'clients/%20/update'],
  ])('POST with client id %j → 400 naming clientId', async (shown, path) => {
    const answer = await call('POST', `/${path}`, auth);
    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({ code: 'invalid-field', field: 'clientId' });
    expect(answer.error?.message).toContain(`field "clientId" (in the path) must be a positive integer, got ${JSON.stringify(shown)}`);
  });

  it('refuses an unknown client with 404, after checking the body', async () => {
    expect((await call('POST', '/clients/999/update', auth)).error).toMatchObject({ code: 'unknown-client', field: 'clientId', message: "client 999 is not in the source's clients table" });
    expect((await call('POST', '/clients/999/update', json, '{"reason": 1}')).error).toMatchObject({ code: 'invalid-field', field: 'reason' });
  });

  it('refuses query parameters on the run routes instead of ignoring them', async () => {
    const all = await call('POST', '/update-all?clientId=2', auth);
    expect(all.status).toBe(400);
    expect(all.error).toMatchObject({ code: 'unknown-field', field: 'clientId' });
    expect(all.error?.message).toContain('query parameter "clientId" is not accepted: one client is POST /clients/:id/update');
    expect((await call('POST', '/clients/2/update?reason=nightly', auth)).error).toMatchObject({ code: 'unknown-field', field: 'reason' });
  });

  it('answers 415 for a body that is not declared JSON', async () => {
    const text = await call('POST', '/update-all', { ...auth, 'content-type': 'text/plain' }, '{"reason": "x"}');
    expect(text.status).toBe(415);
    expect(text.error).toMatchObject({ code: 'unsupported-media-type', message: 'the body is text/plain: send Content-Type: application/json' });
    expect((await call('POST', '/update-all', { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, 'reason=x')).status).toBe(415);
    const untyped = await raw('/update-all', { 'content-length': '2' }, ['{}']);
    expect(untyped).toMatchObject({ status: 415, error: { message: 'the body is untyped: send Content-Type: application/json' } });
  });

  it('answers 413 for a body over the limit, declared or streamed', async () => {
    const declared = await raw('/update-all', { 'content-type': 'application/json', 'content-length': String(10 * MAX_BODY_BYTES) }, [], false);
    expect(declared).toMatchObject({ status: 413, error: { code: 'body-too-large', message: `the body is ${10 * MAX_BODY_BYTES} bytes: the limit is ${MAX_BODY_BYTES}` } });
    const chunk = `{"reason": "${'x'.repeat(1024)}`;
    const streamed = await raw('/update-all', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, Array(20).fill(chunk));
    expect(streamed).toMatchObject({ status: 413, error: { code: 'body-too-large', message: `the body exceeds ${MAX_BODY_BYTES} bytes` } });
  });

  it('answers 404 for unknown runs and routes and 405 for wrong methods', async () => {
    for (const id of ['no-such-run', randomUUID()]) {
      const run = await call('GET', `/runs/${id}`, auth);
      expect(run.status).toBe(404);
      expect(run.error).toMatchObject({ code: 'unknown-run', field: 'runId', message: `run "${id}" is not among the last runs of this worker` });
    }
    expect((await call('GET', '/runs/', auth)).error).toMatchObject({ code: 'not-found', message: "no route /runs/: see the worker's README for the API" });
    expect((await call('POST', '/update-all/', auth)).status).toBe(404);
    const put = await call('PUT', '/update-all', auth);
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST');
    const remove = await call('DELETE', '/runs', auth);
    expect(remove.status).toBe(405);
    expect(remove.headers.get('allow')).toBe('GET');
    expect(remove.error?.message).toBe('DELETE is not allowed on /runs: use GET');
  });

  it('checks the token before the body: a bad body without a token is 401', async () => {
    expect((await call('POST', '/update-all', { 'content-type': 'application/json' }, '{"reason": ')).status).toBe(401);
    expect((await call('POST', '/clients/abc/update', { authorization: 'Bearer wrong-token' })).status).toBe(403);
  });

  it('answers /readyz without the reason a dependency failed, which goes to the log', async () => {
    const leaky = new URL(services.postgres.url);
    leaky.username = 'leakuser';
    leaky.password = '';
    const unready = await startWorkerProcess(workerEnv(services, { DATABASE_URL: leaky.toString(), STOP_TIMEOUT_SECONDS: '5' }));
    try {
      const response = await fetch(unready.url('/readyz'));
      const text = await response.text();
      expect(response.status).toBe(503);
      expect(JSON.parse(text)).toEqual({ ready: false, checks: { database: 'fail', bucket: 'ok' } });
      expect(text).not.toContain('leakuser');
      expect(unready.logs.find((line) => line.message === 'readiness check failed')).toMatchObject({ check: 'database', error: expect.stringMatching(/./) });
    } finally {
      expect(await unready.terminate()).toBe(0);
    }
  });

  it('started no run and wrote nothing to the bucket', async () => {
    const runs = (await (await fetch(worker.url('/runs'), { headers: auth })).json()) as { running: string | null; runs: unknown[] };
    expect(runs).toEqual({ running: null, runs: [] });
    expect(worker.logs.filter((l) => l.message === 'run accepted' || l.message === 'target completed')).toEqual([]);
    expect(await bucketKeys()).toEqual([]);
  });
});
