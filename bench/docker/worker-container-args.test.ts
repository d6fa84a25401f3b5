import { describe, expect, it } from 'vitest';
import { parseWorkerConfig } from '@storage-builder/worker';
import { loadResourceProfile } from '../harness/load-profiles';
import { SCENARIOS } from '../harness/scenarios';
import { CONTAINER_LABEL, neighbourRunInvocation, workerRunInvocation, type WorkerContainerInput } from './worker-container-args';

const SECRET = 'pg-password-1';
const S3_SECRET = 's3-secret-key-2';
const TOKEN = 'token-'.padEnd(40, 'x');

function inputFor(scenarioId: string): WorkerContainerInput {
  const scenario = SCENARIOS.find((s) => s.id === scenarioId)!;
  return {
    image: 'storage-builder-worker',
    name: `worker-${scenario.fix}`,
    runLabel: 'run-1a2b',
    profile: loadResourceProfile(scenario.profile),
    switches: scenario.switches,
    services: {
      databaseUrl: `postgres://postgres:${SECRET}@127.0.0.1:5433/reproduce_docker`,
      s3: { endpoint: 'http://127.0.0.1:4566', region: 'us-east-1', bucket: 'sb-reproduce-docker-ab12', accessKeyId: 'test', secretAccessKey: S3_SECRET },
    },
    prefix: 'runs/none-incident',
    port: 18080,
    controlToken: TOKEN,
  };
}

/** The names passed with `--env NAME`. */
function envNames(args: readonly string[]): string[] {
  return args.flatMap((arg, i) => (arg === '--env' ? [args[i + 1]!] : []));
}

describe('workerRunInvocation', () => {
  it('gives the worker an environment that its own configuration parser accepts, with the scenario switches', () => {
    const legacy = workerRunInvocation(inputFor('none@incident'));
    expect(parseWorkerConfig(legacy.env)).toMatchObject({
      databaseUrl: `postgres://postgres:${SECRET}@127.0.0.1:5433/reproduce_docker`,
      s3: { bucket: 'sb-reproduce-docker-ab12', endpoint: 'http://127.0.0.1:4566', region: 'us-east-1', prefix: 'runs/none-incident', credentials: { accessKeyId: 'test', secretAccessKey: S3_SECRET } },
      controlToken: TOKEN,
      port: 18080,
      serializer: 'legacy',
      parallelism: 1,
      incremental: false,
      tracker: 'manifest',
      mode: 'standalone',
    });
    const fixed = workerRunInvocation(inputFor('all@recommended'));
    expect(parseWorkerConfig(fixed.env)).toMatchObject({ serializer: 'streaming', parallelism: 4, incremental: true });
  });

  it.each(SCENARIOS.map((s) => s.id))('%s: every variable parses', (id) => {
    expect(() => parseWorkerConfig(workerRunInvocation(inputFor(id)).env)).not.toThrow();
  });

  it('passes every variable by name only, so no secret is on the command line', () => {
    const { args, env } = workerRunInvocation(inputFor('none@incident'));
    expect(envNames(args).sort()).toEqual(Object.keys(env).sort());
    for (const secret of [SECRET, S3_SECRET, TOKEN]) expect(args.join(' ')).not.toContain(secret);
  });

  it('runs detached on the host network with the incident profile HostConfig flags, image last', () => {
    const { args } = workerRunInvocation(inputFor('none@incident'));
    expect(args.slice(0, 8)).toEqual(['run', '--detach', '--name', 'worker-none', '--label', `${CONTAINER_LABEL}=run-1a2b`, '--network', 'host']);
    // container cpu 4 units → CpuShares 4 (a weight, no quota); memoryReservation 256 MiB (soft).
    expect(args).toContain('--cpu-shares=4');
    expect(args).toContain(`--memory-reservation=${256 * 1024 * 1024}b`);
    expect(args.some((a) => a.startsWith('--cpu-quota') || a.startsWith('--memory='))).toBe(false);
    expect(args.at(-1)).toBe('storage-builder-worker');
  });

  it('sets the recommended profile hard and soft memory limits', () => {
    const { args } = workerRunInvocation(inputFor('all@recommended'));
    expect(args).toEqual(expect.arrayContaining(['--cpu-shares=2048', `--memory=${4096 * 1024 * 1024}b`, `--memory-reservation=${2048 * 1024 * 1024}b`]));
  });
});

describe('neighbourRunInvocation', () => {
  it('runs a busy node loop in the worker image with the given CPU shares and no network', () => {
    const { args, env } = neighbourRunInvocation({ image: 'storage-builder-worker', name: 'n-0', runLabel: 'run-1a2b', cpuShares: 1024 });
    expect(args).toEqual(['run', '--detach', '--name', 'n-0', '--label', `${CONTAINER_LABEL}=run-1a2b`, '--network', 'none', '--cpu-shares=1024', '--entrypoint', 'node', 'storage-builder-worker', '-e', 'for (;;) {}']);
    expect(env).toEqual({});
  });
});
