import { runSandboxed, type SandboxResult } from '@storage-builder/sandbox';
import type { ObjectStoreService, PostgresService } from '@storage-builder/services';
import { loadResourceProfile } from '../harness/load-profiles';
import { prefixOf, type Scenario, type ScenarioStatus } from '../harness/scenarios';
import { childCommand, GO_LINE, READY_LINE, RESULT_MARKER, UPDATE_ALL_CHILD, updateAllChildEnv, type MeasuredUpdateAll } from '../harness/measured-child';
import type { ChildResult } from './scenario-result';

export interface ScenarioRun {
  readonly scenario: Scenario;
  readonly sandbox: Omit<SandboxResult, 'stdout' | 'stderr'>;
  /** What the worker reported; undefined when it was killed before it could. */
  readonly child: ChildResult | undefined;
  readonly status: ScenarioStatus;
  readonly error?: string;
}

export interface ScenarioSettings {
  readonly postgres: PostgresService;
  readonly objectStore: ObjectStoreService;
  /** Seconds a deadline scenario may run after start-up. */
  readonly deadlineSeconds: number;
  readonly mode: 'enforce' | 'unconstrained';
  /** Show what the worker prints. */
  readonly verbose: boolean;
}

/** Runs one scenario's UpdateAll in a worker process inside the scenario's resource profile. */
export async function runScenario(scenario: Scenario, settings: ScenarioSettings): Promise<ScenarioRun> {
  const profile = loadResourceProfile(scenario.profile);
  const stopper = new AbortController();
  let killTimer: NodeJS.Timeout | undefined;
  const connection = { databaseUrl: settings.postgres.url, s3: settings.objectStore.connection, bucket: settings.objectStore.bucket, prefix: prefixOf(scenario) };
  const sandbox = await runSandboxed({
    ...childCommand(UPDATE_ALL_CHILD),
    profile,
    mode: settings.mode,
    signal: stopper.signal,
    startGate: { readyLine: READY_LINE, goLine: GO_LINE },
    // Tried once, as the legacy worker did: a retry would blur what each fix costs.
    env: updateAllChildEnv(connection, scenario.switches, { maxAttempts: 1, startGate: true }),
    onOutput: (stream, chunk) => {
      if (settings.verbose) process.stderr.write(chunk.replace(/^/gm, `  ${scenario.id} | `));
      if (stream === 'stdout' && chunk.includes(READY_LINE) && scenario.deadline && !killTimer) {
        // Stopped from outside: a starved process would take as long to wind down as to work.
        killTimer = setTimeout(() => stopper.abort(), settings.deadlineSeconds * 1000);
      }
    },
  }).finally(() => clearTimeout(killTimer));

  const { stdout, stderr, ...figures } = sandbox;
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  const child = line ? jobResultOf(JSON.parse(line.slice(RESULT_MARKER.length)) as MeasuredUpdateAll) : undefined;
  if (child && child.failed.length === 0) return { scenario, sandbox: figures, child, status: 'finished' };
  if (!child && sandbox.outcome === 'aborted') return { scenario, sandbox: figures, child, status: 'deadline' };
  const error = child?.failed.join('; ') || `${sandbox.outcome} (exit ${sandbox.exitCode ?? sandbox.signal}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`;
  return { scenario, sandbox: figures, child, status: 'failed', error };
}

/** What the reports read of a measured UpdateAll. */
function jobResultOf(measured: MeasuredUpdateAll): ChildResult {
  return {
    runWallSeconds: measured.wallMs / 1000,
    runCpuSeconds: measured.cpuMs / 1000,
    targets: measured.targets,
    completedTargets: measured.full + measured.incremental,
    rows: measured.rows,
    tombstones: measured.tombstones,
    bytes: measured.bytes,
    serializeCalls: measured.serializeCalls,
    failed: measured.failures,
    perTarget: measured.perTarget,
  };
}
