import { describe, expect, it } from 'vitest';
import { WorkerClient } from './worker-client';

interface Call {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** A worker that answers from a queue of [status, body] per path, and records what it was asked. */
function fakeWorker(answers: Record<string, Array<[number, unknown]>>) {
  const calls: Call[] = [];
  const fetch = async (url: string | URL | Request, init?: RequestInit) => {
    const path = new URL(String(url)).pathname;
    calls.push({ url: String(url), method: init?.method ?? 'GET', headers: (init?.headers ?? {}) as Record<string, string>, body: init?.body as string | undefined });
    const queue = answers[path];
    const [status, body] = (queue && queue.length > 1 ? queue.shift() : queue?.[0]) ?? [404, { error: { code: 'not-found' } }];
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  };
  return { calls, client: new WorkerClient({ baseUrl: 'http://127.0.0.1:8080', controlToken: 'token-1', fetch: fetch as typeof globalThis.fetch }) };
}

const started = { runId: 'r-1', status: 'running', alreadyRunning: false, statusUrl: '/runs/r-1' };
const running = (done: number) => ({ id: 'r-1', status: 'running', progress: { done, total: 4 }, results: [] });
const finished = { id: 'r-1', status: 'completed', progress: { done: 4, total: 4 }, totals: { targets: 0, durationMs: 1500 }, results: [] };

describe('WorkerClient', () => {
  it('starts an UpdateAll with the bearer token, and a reason as JSON only when there is one', async () => {
    const { calls, client } = fakeWorker({ '/update-all': [[202, started]] });
    expect(await client.startUpdateAll('memory benchmark')).toBe('r-1');
    expect(await client.startUpdateAll()).toBe('r-1');
    expect(calls[0]).toMatchObject({ url: 'http://127.0.0.1:8080/update-all', method: 'POST', headers: { authorization: 'Bearer token-1', 'content-type': 'application/json' }, body: '{"reason":"memory benchmark"}' });
    expect(calls[1]!.headers).toEqual({ authorization: 'Bearer token-1' });
    expect(calls[1]!.body).toBeUndefined();
  });

  it('names the request and the status of an answer that is not 2xx', async () => {
    const { client } = fakeWorker({ '/update-all': [[503, { error: { code: 'stopping' } }]] });
    await expect(client.startUpdateAll()).rejects.toThrow('POST /update-all answered HTTP 503: {"error":{"code":"stopping"}}');
  });

  it('reads the run until it has finished', async () => {
    const { calls, client } = fakeWorker({ '/runs/r-1': [[200, running(1)], [200, running(3)], [200, finished]] });
    const state = await client.waitForRun('r-1', { pollIntervalMs: 1 });
    expect(state).toMatchObject({ state: 'finished', status: 'completed', durationSeconds: 1.5 });
    expect(calls.map((c) => c.url)).toEqual(Array(3).fill('http://127.0.0.1:8080/runs/r-1'));
  });

  it('stops waiting when its signal aborts and answers the run as it last was', async () => {
    const { calls, client } = fakeWorker({ '/runs/r-1': [[200, running(2)]] });
    const stop = new AbortController();
    const waiting = client.waitForRun('r-1', { pollIntervalMs: 5, signal: stop.signal });
    setTimeout(() => stop.abort(), 30);
    expect(await waiting).toEqual({ state: 'running', done: 2, total: 4 });
    expect(calls.length).toBeGreaterThan(1);
  });

  it('reads /metrics without the token, and says whether the worker is healthy and ready', async () => {
    const { calls, client } = fakeWorker({
      '/metrics': [[200, '# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 2.5\n']],
      '/healthz': [[200, { status: 'ok' }]],
      '/readyz': [[503, { ready: false }]],
    });
    expect((await client.metrics()).cpuSeconds).toBe(2.5);
    expect(await client.healthy()).toBe(true);
    expect(await client.readiness()).toEqual({ ready: false, detail: '{"ready":false}' });
    for (const call of calls) expect(call.headers).toEqual({});
  });
});
