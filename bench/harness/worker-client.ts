// The worker's HTTP control API as the harness uses it: health, readiness, start an UpdateAll,
// read a run or wait for it to end, read the metrics. The Docker flow drives the worker image
// with it, the memory benchmark and Clinic.js's trigger the worker process. `fetch` is
// injected so the waits can be tested.
import { setTimeout as sleep } from 'node:timers/promises';
import { workerRuntimeFigures, type WorkerRuntimeFigures } from './worker-metrics-text';
import { parseRunStatus, parseStartedRun, type FinishedRun, type WorkerRunState } from './worker-run-status';

/** One request may take this long; a worker starved of CPU still answers within it. */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface WorkerClientOptions {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  readonly controlToken: string;
  /** @defaultValue `globalThis.fetch` */
  readonly fetch?: typeof fetch;
}

export interface WaitForRunOptions {
  /** Between two reads of the run. */
  readonly pollIntervalMs: number;
  /**
   * Stops the wait once aborted; the answer is then the run's last state, still running.
   * @defaultValue none: waits until the run ends
   */
  readonly signal?: AbortSignal;
}

export class WorkerClient {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: WorkerClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** True once GET /healthz answers 200; false while the process is not listening yet. */
  async healthy(): Promise<boolean> {
    try {
      const response = await this.request('GET', '/healthz', false);
      await response.body?.cancel();
      return response.ok;
    } catch {
      return false;
    }
  }

  /** GET /readyz: the database and the bucket answer from where the worker runs. */
  async readiness(): Promise<{ ready: boolean; detail: string }> {
    try {
      const response = await this.request('GET', '/readyz', false);
      return { ready: response.ok, detail: await response.text() };
    } catch (error) {
      return { ready: false, detail: (error as Error).message };
    }
  }

  /** POST /update-all; the new run's id. `reason` goes into the worker's log. */
  async startUpdateAll(reason?: string): Promise<string> {
    return parseStartedRun(await this.json('POST', '/update-all', reason === undefined ? undefined : JSON.stringify({ reason })));
  }

  /** GET /runs/:id */
  async run(runId: string): Promise<WorkerRunState> {
    return parseRunStatus(await this.json('GET', `/runs/${encodeURIComponent(runId)}`));
  }

  /** Reads the run until it has finished (or `signal` aborts) and answers its last state. */
  waitForRun(runId: string, options: WaitForRunOptions & { readonly signal?: undefined }): Promise<FinishedRun>;
  waitForRun(runId: string, options: WaitForRunOptions): Promise<WorkerRunState>;
  async waitForRun(runId: string, options: WaitForRunOptions): Promise<WorkerRunState> {
    let state = await this.run(runId);
    while (state.state === 'running' && !options.signal?.aborted) {
      await sleep(options.pollIntervalMs);
      state = await this.run(runId);
    }
    return state;
  }

  /** GET /metrics: the worker's CPU, memory, GC and cgroup throttling as it measures them. */
  async metrics(): Promise<WorkerRuntimeFigures> {
    const response = await this.request('GET', '/metrics', false);
    if (!response.ok) throw new Error(`GET /metrics answered HTTP ${response.status}: ${await response.text()}`);
    return workerRuntimeFigures(await response.text());
  }

  private async json(method: string, path: string, body?: string): Promise<unknown> {
    const response = await this.request(method, path, true, body);
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered HTTP ${response.status}: ${text}`);
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${method} ${path} answered with something other than JSON: ${text.slice(0, 200)}`);
    }
  }

  private request(method: string, path: string, auth: boolean, body?: string): Promise<Response> {
    return this.fetch(`${this.options.baseUrl}${path}`, {
      method,
      headers: { ...(auth ? { authorization: `Bearer ${this.options.controlToken}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  }
}
