import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
export const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
export const TEST_TOKEN = 'test-control-token-0123456789abcdef';

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

/** The worker in a process of its own, started from its sources (or a bundle), on a free port. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly logs: LogLine[];
  readonly stdout: string[];
  readonly stderr: string[];
  url(path: string): string;
  /** Sends SIGTERM and resolves with the exit code. */
  terminate(): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Only what is given: the test process's own DATABASE_URL or REDIS_URL must not leak into the worker. */
export function baseEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'NODE_OPTIONS', 'LANG'];
  return { ...Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]])), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
}

/** Node's arguments that start the worker from its sources. */
export const FROM_SOURCES = ['--import', 'tsx', MAIN];

/**
 * Every worker a test file started. A test that times out stops waiting but its `finally`
 * never runs: what it started is ended when the file's tests are done.
 */
const started = new Set<ChildProcess>();
afterAll(async () => {
  const running = [...started].filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(running.map((child) => new Promise((resolve) => child.once('exit', resolve).kill('SIGKILL'))));
});

export function startWorkerProcess(env: NodeJS.ProcessEnv, nodeArgs: readonly string[] = FROM_SOURCES): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [...nodeArgs], { env: { ...baseEnv(), PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  const logs: LogLine[] = [];
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let buffered = '';
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (text: string) => stderr.push(text));
    void exited.then((code) => reject(new Error(`worker exited before it listened, code ${code}: ${stderr.join('')}${stdout.join('\n')}`)));
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      buffered += text;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        stdout.push(line);
        let parsed: LogLine;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          continue;
        }
        logs.push(parsed);
        if (parsed.message === 'worker started') {
          const port = parsed['port'] as number;
          resolve({
            child,
            port,
            logs,
            stdout,
            stderr,
            exited,
            url: (path) => `http://127.0.0.1:${port}${path}`,
            terminate: () => {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
              return exited;
            },
          });
        }
      }
    });
  });
}

/** What `GET /runs/:id` shows of a run, as far as the tests read it. */
export interface RunView {
  readonly status: string;
  readonly totals?: { readonly targets: number; readonly failed: number };
}

/** POST /update-all; resolves with the accepted run's id. */
export async function startUpdateAll(worker: WorkerProcess): Promise<string> {
  const accepted = await fetch(worker.url('/update-all'), { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  if (accepted.status !== 202) throw new Error(`POST /update-all answered ${accepted.status}: ${await accepted.text()}`);
  return ((await accepted.json()) as { runId: string }).runId;
}

/** Polls GET /runs/:id until the run is no longer running. */
export async function finishedRun(worker: WorkerProcess, runId: string): Promise<RunView> {
  for (;;) {
    const run = (await (await fetch(worker.url(`/runs/${runId}`), { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).json()) as RunView;
    if (run.status !== 'running') return run;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
