// One scenario of the Docker flow: the worker image under the scenario's resource profile
// (Docker HostConfig limits, the profile's busy neighbours beside it), one UpdateAll through
// the control API, the worker's CPU over the run from its /metrics, and the snapshots checked
// against the database. Every container it starts is removed before it returns.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadResourceProfile } from '../harness/load-profiles';
import { prefixOf, scenarioSlug, type Scenario, type ScenarioStatus } from '../harness/scenarios';
import { WorkerClient } from '../harness/worker-client';
import { usageBetween, type WorkerRuntimeFigures, type WorkerUsage } from '../harness/worker-metrics-text';
import type { FinishedRun } from '../harness/worker-run-status';
import { dockerOk, type DockerRunner } from './docker-cli';
import type { SnapshotVerification } from './snapshot-verification';
import { neighbourRunInvocation, workerRunInvocation, type WorkerServiceEndpoints } from './worker-container-args';

export interface DockerScenarioSettings {
  readonly docker: DockerRunner;
  readonly image: string;
  readonly services: WorkerServiceEndpoints;
  /** Labels every container of this invocation (see CONTAINER_LABEL). */
  readonly runLabel: string;
  /** Seconds a deadline scenario may run before it is stopped and the rest projected. */
  readonly deadlineSeconds: number;
  /** Seconds any other scenario may run before it counts as failed. */
  readonly timeoutSeconds: number;
  /** Seconds from `docker run` until /healthz and /readyz answer. */
  readonly startupTimeoutSeconds: number;
  /** Checks the snapshots under a prefix against the database. */
  readonly verify: (prefix: string) => Promise<SnapshotVerification>;
  readonly log: (message: string) => void;
  /** @defaultValue 1000 */
  readonly pollIntervalMs?: number;
}

export interface DockerScenarioRun {
  readonly scenario: Scenario;
  /** `finished` means verified too. */
  readonly status: ScenarioStatus;
  /** From `docker run` until the worker was ready. */
  readonly startupSeconds: number | undefined;
  /** Host clock between the two /metrics readings around the run: the span `usage` covers. */
  readonly wallSeconds: number | undefined;
  readonly run: FinishedRun | undefined;
  /** Targets done when a deadline scenario was stopped. */
  readonly progress: { readonly done: number; readonly total: number } | undefined;
  readonly usage: WorkerUsage | undefined;
  readonly verification: SnapshotVerification | undefined;
  readonly error?: string;
}

const DEFAULT_POLL_INTERVAL_MS = 1_000;

/** A port nobody listens on now: the container shares the host's network. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('could not find a free port on 127.0.0.1');
  return address.port;
}

const seconds = (fromMs: number) => (performance.now() - fromMs) / 1000;

export async function runDockerScenario(scenario: Scenario, settings: DockerScenarioSettings): Promise<DockerScenarioRun> {
  const { docker, log } = settings;
  const profile = loadResourceProfile(scenario.profile);
  const prefix = prefixOf(scenario);
  const port = await freePort();
  const controlToken = randomBytes(24).toString('hex');
  const name = `sb-reproduce-${scenarioSlug(scenario)}-${randomBytes(3).toString('hex')}`;
  const client = new WorkerClient({ baseUrl: `http://127.0.0.1:${port}`, controlToken });
  const containers: string[] = [];
  let startupSeconds: number | undefined;
  let failure: string | undefined;

  try {
    const worker = workerRunInvocation({ image: settings.image, name, runLabel: settings.runLabel, profile, switches: scenario.switches, services: settings.services, prefix, port, controlToken });
    const launched = performance.now();
    // Listed before the run: a container created but not started must be removed too.
    containers.push(name);
    await dockerOk(docker, worker.args, worker.env);
    await waitUntilReady(client, docker, name, settings.startupTimeoutSeconds);
    startupSeconds = seconds(launched);

    // As the cgroup sandbox does: neighbours start once the worker is up, so they compete with the run only.
    for (let i = 0; i < (profile.neighbours?.count ?? 0); i++) {
      const neighbour = neighbourRunInvocation({ image: settings.image, name: `${name}-neighbour-${i}`, runLabel: settings.runLabel, cpuShares: profile.neighbours!.cpu });
      containers.push(`${name}-neighbour-${i}`);
      await dockerOk(docker, neighbour.args);
    }

    const before = await client.metrics();
    const measuredFrom = performance.now();
    const limitSeconds = scenario.deadline ? settings.deadlineSeconds : settings.timeoutSeconds;
    const limit = AbortSignal.timeout(limitSeconds * 1000);
    const runId = await client.startUpdateAll(`reproduce-docker ${scenario.id}`);
    const state = await client.waitForRun(runId, { pollIntervalMs: settings.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, signal: limit });
    // Read while the neighbours still compete: this is the CPU the worker got under them.
    const after: WorkerRuntimeFigures = await client.metrics();
    const wallSeconds = seconds(measuredFrom);
    const usage = usageBetween(before, after);
    const base = { scenario, startupSeconds, wallSeconds, usage };

    if (state.state === 'running') {
      if (scenario.deadline) return { ...base, status: 'deadline', run: undefined, progress: { done: state.done, total: state.total }, verification: undefined };
      failure = `the run did not finish within ${settings.timeoutSeconds} s (${state.done}/${state.total} targets): raise --timeout`;
      return { ...base, status: 'failed', run: undefined, progress: { done: state.done, total: state.total }, verification: undefined, error: failure };
    }
    if (state.status !== 'completed') {
      failure = `the run ended ${state.status}: ${state.failures.slice(0, 5).join('; ') || 'no target failed'}`;
      return { ...base, status: 'failed', run: state, progress: undefined, verification: undefined, error: failure };
    }
    log(`  verifying ${state.targets} targets' snapshots under ${prefix} against the database…`);
    const verification = await settings.verify(prefix);
    if (verification.mismatches.length > 0) {
      failure = `${verification.mismatches.length} of ${verification.targets} snapshots differ from the database: ${verification.mismatches.slice(0, 3).join('; ')}`;
      return { ...base, status: 'failed', run: state, progress: undefined, verification, error: failure };
    }
    return { ...base, status: 'finished', run: state, progress: undefined, verification };
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    return { scenario, status: 'failed', startupSeconds, wallSeconds: undefined, run: undefined, progress: undefined, usage: undefined, verification: undefined, error: failure };
  } finally {
    if (failure !== undefined && containers.includes(name)) {
      const logs = await docker(['logs', '--tail', '30', name]).catch(() => undefined);
      if (logs) log(`  last worker log lines:\n${`${logs.stdout}\n${logs.stderr}`.trim().replace(/^/gm, '    ')}`);
    }
    await removeContainers(docker, containers.reverse(), log);
  }
}

/** Waits for /healthz and then /readyz; fails at once, with the reason, if the container exits. */
async function waitUntilReady(client: WorkerClient, docker: DockerRunner, name: string, timeoutSeconds: number): Promise<void> {
  const started = performance.now();
  let readiness = { ready: false, detail: 'not asked yet' };
  while (seconds(started) < timeoutSeconds) {
    if ((await client.healthy()) && (readiness = await client.readiness()).ready) return;
    const status = await dockerOk(docker, ['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', name]);
    if (!status.startsWith('running') && !status.startsWith('created')) {
      throw new Error(`the worker container stopped during start-up (${status}); a configuration error exits 2 and names the variable in the log lines below`);
    }
    await sleep(500);
  }
  throw new Error(`the worker was not ready within ${timeoutSeconds} s (/readyz: ${readiness.detail}; the container's log says why a check fails); with --network host it must reach the services at their host addresses`);
}

async function removeContainers(docker: DockerRunner, names: readonly string[], log: (message: string) => void): Promise<void> {
  for (const container of names) {
    const removed = await docker(['rm', '--force', container]).catch((error: unknown) => ({ exitCode: 1, stdout: '', stderr: String(error) }));
    // A container whose `docker run` failed before creating it is not there to remove.
    if (removed.exitCode !== 0 && !/no such container/i.test(removed.stderr)) log(`  could not remove container ${container}: ${removed.stderr}; remove it with docker rm -f ${container}`);
  }
}
