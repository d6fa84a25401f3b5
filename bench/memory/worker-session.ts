// One measured full sync of the real worker process: start it (as a plain child, or inside a
// memory-limited cgroup through runSandboxed), wait for its `worker started` log line, read
// /proc before, ask its HTTP API for an UpdateAll, wait for the run to finish, read /proc
// again (VmHWM is the process's peak RSS), then SIGTERM it and wait for a clean exit.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSandboxed, type SandboxResult } from '@storage-builder/sandbox';
import { WorkerClient } from '../harness/worker-client';
import { usageBetween } from '../harness/worker-metrics-text';
import { readProc, type ProcSnapshot } from './proc-status';
import { variantArgs, variantEnv, type WorkerVariant } from './worker-variant';

const POLL_MS = 100;
const START_TIMEOUT_MS = 60_000;

export interface SyncMeasurement {
  readonly variant: string;
  readonly status: string;
  readonly rows: number;
  readonly bytes: number;
  readonly targets: number;
  readonly wallSeconds: number;
  /** The worker's own CPU during the run (/proc utime + stime), start-up excluded. */
  readonly syncCpuSeconds: number;
  /** From the process's start to its `worker started` line. */
  readonly startupCpuSeconds: number;
  /** VmRSS once the worker listens, before the run. */
  readonly idleRssKib: number;
  /** VmHWM after the run: the process's peak RSS. */
  readonly peakRssKib: number;
  readonly heapLimitMiB: number | undefined;
  /** Garbage collections during the run, from the worker's /metrics (all kinds). */
  readonly gcRuns: number | undefined;
  readonly gcPauseSeconds: number | undefined;
  readonly exitCode: number | null;
}

export interface SandboxedMeasurement {
  readonly sync: SyncMeasurement | undefined;
  readonly error: string | undefined;
  readonly sandbox: SandboxResult;
}

/** Finds the port in the worker's JSON log lines on stdout. */
class StartWatcher {
  readonly started: Promise<number>;
  private resolve!: (port: number) => void;
  private partial = '';
  readonly tail: string[] = [];

  constructor() {
    this.started = new Promise((resolve) => (this.resolve = resolve));
  }

  onChunk(stream: 'stdout' | 'stderr', chunk: string): void {
    if (stream === 'stderr') {
      this.tail.push(chunk);
      return;
    }
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      this.tail.push(line);
      if (this.tail.length > 40) this.tail.shift();
      if (!line.includes('"worker started"')) continue;
      try {
        const parsed = JSON.parse(line) as { port?: number };
        if (typeof parsed.port === 'number') this.resolve(parsed.port);
      } catch {
        // not a log line
      }
    }
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timeout = new AbortController();
  try {
    return await Promise.race([promise, sleep(ms, undefined, { signal: timeout.signal }).then(() => Promise.reject(new Error(`${what} took over ${ms / 1000} s`)))]);
  } finally {
    timeout.abort();
  }
}

/** Asks a listening worker for one UpdateAll and measures it from /proc and /metrics. */
async function driveFullSync(variant: WorkerVariant, pid: number, port: number, token: string): Promise<Omit<SyncMeasurement, 'exitCode'>> {
  const client = new WorkerClient({ baseUrl: `http://127.0.0.1:${port}`, controlToken: token });
  const before: ProcSnapshot = readProc(pid);
  const metricsBefore = await client.metrics();
  const started = performance.now();
  const runId = await client.startUpdateAll('memory benchmark');
  const run = await client.waitForRun(runId, { pollIntervalMs: POLL_MS });
  const wallSeconds = (performance.now() - started) / 1000;
  const after = readProc(pid);
  const usage = usageBetween(metricsBefore, await client.metrics());
  if (run.status !== 'completed') throw new Error(`run ${runId} ended ${run.status}: ${run.failures.slice(0, 5).join('; ') || 'no target failed'}`);
  return {
    variant: variant.name,
    status: run.status,
    rows: run.rows,
    bytes: run.bytes,
    targets: run.targets,
    wallSeconds,
    syncCpuSeconds: after.cpuSeconds - before.cpuSeconds,
    startupCpuSeconds: before.cpuSeconds,
    idleRssKib: before.rssKib,
    peakRssKib: after.peakRssKib,
    heapLimitMiB: metricsBefore.heapLimitBytes === undefined ? undefined : metricsBefore.heapLimitBytes / 2 ** 20,
    gcRuns: usage.gcCount,
    gcPauseSeconds: usage.gcPauseSeconds,
  };
}

/** The worker as a plain child process; `extraNodeArgs` go before the variant's own flags. */
export async function measureFullSync(variant: WorkerVariant, env: NodeJS.ProcessEnv, extraNodeArgs: readonly string[] = []): Promise<SyncMeasurement> {
  const child = spawn(process.execPath, variantArgs(variant, extraNodeArgs), { env: variantEnv(variant, env), stdio: ['ignore', 'pipe', 'pipe'] });
  const watcher = new StartWatcher();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => watcher.onChunk('stdout', chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => watcher.onChunk('stderr', chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  try {
    const port = await withTimeout(Promise.race([watcher.started, exited.then((code) => Promise.reject(new Error(`worker exited with ${code} before it listened`)))]), START_TIMEOUT_MS, 'worker start-up');
    const measured = await driveFullSync(variant, child.pid!, port, env['CONTROL_TOKEN']!);
    child.kill('SIGTERM');
    const exitCode = await exited;
    return { ...measured, exitCode };
  } catch (error) {
    throw new Error(`${variant.name}: ${(error as Error).message}\nworker output tail:\n${watcher.tail.join('\n').slice(-3000)}`, { cause: error });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * The worker inside a cgroup with a hard memory limit (runSandboxed, container.memory MiB,
 * one vCPU of weight). Peak RSS comes from /proc as above; the cgroup's own peak (page cache
 * included) and OOM kills from the sandbox result.
 */
export async function measureSandboxedFullSync(variant: WorkerVariant, env: NodeJS.ProcessEnv, limitMiB: number): Promise<SandboxedMeasurement> {
  const watcher = new StartWatcher();
  const stop = new AbortController();
  const sandbox = runSandboxed({
    command: process.execPath,
    args: variantArgs(variant),
    env: variantEnv(variant, env),
    profile: { name: `hard-${limitMiB}`, description: `worker full sync under a ${limitMiB} MiB hard memory limit`, container: { cpu: 1024, memory: limitMiB } },
    signal: stop.signal,
    onOutput: (stream, chunk) => watcher.onChunk(stream, chunk),
  });
  let sync: SyncMeasurement | undefined;
  let error: string | undefined;
  try {
    const port = await withTimeout(Promise.race([watcher.started, sandbox.then((r) => Promise.reject(new Error(`worker ended (${r.outcome}, exit ${r.exitCode ?? r.signal}) before it listened`)))]), START_TIMEOUT_MS, 'sandboxed worker start-up');
    const pid = findWorkerPid(port);
    const measured = await driveFullSync(variant, pid, port, env['CONTROL_TOKEN']!);
    sync = { ...measured, exitCode: null };
  } catch (caught) {
    error = `${(caught as Error).message}\nworker output tail:\n${watcher.tail.join('\n').slice(-3000)}`;
  }
  stop.abort();
  const result = await sandbox;
  return { sync: sync && { ...sync, exitCode: result.exitCode }, error, sandbox: result };
}

/** The pid of the process listening on `port` (runSandboxed starts it through a shell that execs it). */
function findWorkerPid(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      // local_address ends in :PORT; state 0A is LISTEN; column 9 is the socket's inode.
      if (columns[1]?.endsWith(`:${hexPort}`) && columns[3] === '0A') inodes.add(columns[9]!);
    }
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const link = readlinkSync(`/proc/${entry}/fd/${fd}`);
        if (inodes.has(/^socket:\[(\d+)\]$/.exec(link)?.[1] ?? '')) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  throw new Error(`no process listens on port ${port}`);
}
