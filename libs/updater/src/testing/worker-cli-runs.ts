// Writers in other processes: the worker's CLI `update-all`, through the same proxy as the
// in-process writers. Only they can take a lease over while this process's event loop stalls.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ObjectStoreConnection } from '@storage-builder/services';
import type { TargetResult } from '../target-result';
import type { Chooser } from './chooser';
import type { PhaseClock } from './phase-clock';
import type { WriterActivity } from './writer-activity';

const WORKSPACE_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const WORKER_CLI = path.join(WORKSPACE_ROOT, 'apps/worker/src/cli.ts');
const UNGUARDED_WARNING = 'does not enforce conditional writes';

export interface WorkerCliSettings {
  readonly databaseUrl: string;
  readonly connection: ObjectStoreConnection;
  /** The proxy's address, not the store's. */
  readonly endpoint: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly phaseMs: number;
}

export class WorkerCliRuns {
  /** One line a run: its exit, its settings and its summary line. */
  readonly summaries: string[] = [];
  /** Per run, whether it warned that the store cannot guard its commits (it must iff the store does not enforce conditions). */
  readonly unguardedWarnings: Array<{ n: number; saw: boolean }> = [];
  /** Runs in progress, with when each started. */
  private readonly children = new Map<ChildProcess, number>();

  constructor(
    private readonly settings: WorkerCliSettings,
    private readonly choose: Chooser,
    private readonly activity: WriterActivity,
    /** Where a run that ends with neither 0 nor 1 is reported. */
    private readonly problems: string[],
    private readonly log: (line: string) => void,
  ) {}

  /** A CLI that has been running for a second has booted (tsx) and is taking leases. */
  get live(): boolean {
    return [...this.children.values()].some((since) => Date.now() - since > 1_000);
  }

  killAll(): void {
    this.children.forEach((_, child) => child.kill('SIGKILL'));
  }

  /** `runs` runs while the phase lasts, spread over it, sometimes two at once. */
  async runAll(runs: number, clock: PhaseClock): Promise<void> {
    const running: Promise<void>[] = [];
    for (let n = 1; n <= runs && clock.running; n++) {
      // The first starts at once (it takes a second to boot), the others spread over the phase.
      await clock.pause(this.choose.between([0, n === 1 ? 300 : Math.floor(this.settings.phaseMs / runs)]));
      running.push(this.run(n));
      // Sometimes the next one starts at once: two CLIs at the same targets.
      if (this.choose.random() < 0.5) continue;
      await running.at(-1);
    }
    await Promise.all(running);
  }

  private async run(n: number): Promise<void> {
    const incremental = this.choose.random() >= 0.4;
    // --wait: the run waits for leases others hold, so it takes targets over the moment they expire.
    const wait = this.choose.random() < 0.5;
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_CLI, 'update-all', ...(wait ? ['--wait'] : [])], { cwd: WORKSPACE_ROOT, env: this.env(incremental), stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.set(child, Date.now());
    this.log(`  cli ${n} started (pid ${child.pid}, INCREMENTAL=${incremental}${wait ? ', --wait' : ''})`);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    // Bounded: a CLI run that does not end by itself is stopped, then killed.
    const term = setTimeout(() => child.kill('SIGTERM'), this.settings.phaseMs + 60_000);
    const kill = setTimeout(() => child.kill('SIGKILL'), this.settings.phaseMs + 70_000);
    const code = await new Promise<number | string | null>((resolve) => child.once('close', (exit, signal) => resolve(exit ?? signal)));
    clearTimeout(term);
    clearTimeout(kill);
    this.children.delete(child);
    this.noteOutput(`cli ${n}`, stdout, stderr);
    this.unguardedWarnings.push({ n, saw: stderr.includes(UNGUARDED_WARNING) });
    const summaryLine = stdout.split('\n').find((l) => l.startsWith('done in ')) ?? '(no summary)';
    this.summaries.push(`exit ${code}, INCREMENTAL=${incremental}${wait ? ', --wait' : ''}: ${summaryLine}`);
    // 0: all done; 1: some targets skipped (held), aborted or failed. Anything else (2: bad input, a signal) is the check's problem.
    if (code !== 0 && code !== 1) this.problems.push(`cli ${n} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    this.log(`  cli ${n} exited ${code}: ${summaryLine}`);
  }

  /** The worker's settings for this seed, and nothing else of this process's environment but what node and tsx need. */
  private env(incremental: boolean): NodeJS.ProcessEnv {
    const { connection } = this.settings;
    const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'NODE_OPTIONS'].filter((k) => process.env[k] !== undefined);
    return {
      ...Object.fromEntries(keep.map((k) => [k, process.env[k]])),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      DATABASE_URL: this.settings.databaseUrl,
      S3_BUCKET: this.settings.bucket,
      S3_ENDPOINT: this.settings.endpoint,
      S3_REGION: connection.region,
      S3_PREFIX: this.settings.prefix,
      AWS_ACCESS_KEY_ID: connection.accessKeyId,
      AWS_SECRET_ACCESS_KEY: connection.secretAccessKey,
      INCREMENTAL: String(incremental),
      PARALLELISM: String(this.choose.between([2, 3])),
      LEASE_TTL_SECONDS: String(this.choose.between([1, 2])),
    };
  }

  /** Its targets' outcomes from the progress lines on stdout; its log (JSON lines) from stderr. */
  private noteOutput(writer: string, stdout: string, stderr: string): void {
    for (const line of stdout.split('\n')) {
      const match = /^\d+\/\d+ (client-\d+\/[a-z-]+) (completed|failed|aborted|skipped)(?:: (.*))?/.exec(line);
      if (!match) continue;
      const [, id, state, detail = ''] = match;
      this.activity.noteOutcome(writer, id!, state as TargetResult['state'], detail);
    }
    for (const line of stderr.split('\n')) {
      let entry: { level?: string; message?: string; target?: string; problem?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      if (entry.message) this.activity.noteLog(writer, entry.message, entry.target, entry.problem);
    }
  }
}
