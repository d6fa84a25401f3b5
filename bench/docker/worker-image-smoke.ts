// Starts the worker image under each resource profile's Docker HostConfig limits, checks
// that Docker applied exactly the limits the cgroup sandbox uses, reads them back from the
// cgroup files inside the running container (what the worker's process is really under),
// checks that the worker runs as a non-root user with no package manager in the image, answers /healthz (the image's
// HEALTHCHECK), and stops cleanly on SIGTERM (`docker stop`: exit 0, `worker stopped`
// logged). Needs a Docker engine and the image (npm run docker:build).
//
//   npm run docker:smoke [-- --image storage-builder-worker --profiles incident,recommended]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { cgroupLimitsFor, dockerHostConfigFor, dockerRunFlags, sharesToWeight, type CgroupLimits } from '@storage-builder/resources';
import { loadResourceProfile } from '../harness/load-profiles';

const { values } = parseArgs({
  options: { image: { type: 'string', default: 'storage-builder-worker' }, profiles: { type: 'string', default: 'incident,recommended,minimum-viable' } },
});

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

async function healthy(container: string): Promise<boolean> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const status = docker('inspect', '--format', '{{.State.Health.Status}}', container);
    if (status === 'healthy') return true;
    if (status === 'unhealthy') return false;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  return false;
}

/** v1 `memory.limit_in_bytes` and v2 `memory.max` without a limit. */
const unlimited = (text: string) => text === 'max' || Number(text) >= 2 ** 62;

/**
 * The container's own limits, read from its cgroup files from inside it, set against what the
 * profile maps to; each line `file value (expected …)`, and whether all agree.
 */
function limitsInside(container: string, limits: CgroupLimits): { lines: string[]; ok: boolean } {
  const read = (file: string) => docker('exec', container, 'cat', `/sys/fs/cgroup/${file}`);
  const v2 = docker('exec', container, 'sh', '-c', 'test -f /sys/fs/cgroup/cgroup.controllers && echo v2 || echo v1') === 'v2';
  const checks: [string, string, number | undefined][] = v2
    ? [['cpu.weight', read('cpu.weight'), sharesToWeight(limits.cpuShares)], ['memory.low', read('memory.low'), limits.memorySoftBytes ?? 0], ['memory.max', read('memory.max'), limits.memoryHardBytes]]
    : [['cpu/cpu.shares', read('cpu/cpu.shares'), limits.cpuShares], ['memory/memory.soft_limit_in_bytes', read('memory/memory.soft_limit_in_bytes'), limits.memorySoftBytes], ['memory/memory.limit_in_bytes', read('memory/memory.limit_in_bytes'), limits.memoryHardBytes]];
  const lines: string[] = [];
  let ok = true;
  for (const [file, actual, wanted] of checks) {
    const agrees = wanted === undefined ? unlimited(actual) : Number(actual) === wanted;
    ok &&= agrees;
    const mib = Number(actual) < 2 ** 62 && file.includes('memory') ? ` (${Number(actual) / 2 ** 20} MiB)` : '';
    lines.push(`${file} ${unlimited(actual) && file.includes('memory') ? 'unlimited' : actual}${mib}${agrees ? '' : ` MISMATCH: expected ${wanted ?? 'unlimited'}`}`);
  }
  return { lines, ok };
}

let failures = 0;
for (const name of values.profiles.split(',')) {
  const profile = loadResourceProfile(name);
  const expected = dockerHostConfigFor(profile);
  const container = `storage-builder-smoke-${name}-${randomBytes(3).toString('hex')}`;
  docker(
    'run', '-d', '--name', container, ...dockerRunFlags(expected),
    // The image's own HEALTHCHECK command, run every 2 s instead of every 30 s: the smoke waits for its first verdict.
    '--health-interval', '2s',
    // A syntactically valid configuration: liveness does not need the services.
    '-e', 'DATABASE_URL=postgres://smoke@127.0.0.1:1/smoke', '-e', 'S3_BUCKET=smoke', '-e', 'S3_REGION=us-east-1',
    '-e', `CONTROL_TOKEN=${randomBytes(24).toString('hex')}`,
    values.image,
  );
  try {
    const applied = JSON.parse(docker('inspect', '--format', '{{json .HostConfig}}', container)) as Record<string, number>;
    const mismatched = Object.entries(expected).filter(([field, value]) => applied[field] !== value);
    const inside = limitsInside(container, cgroupLimitsFor(profile));
    const uid = docker('exec', container, 'id', '-u');
    // The runtime stage removes the package managers the base image ships.
    const packageManagers = docker('exec', container, 'sh', '-c', 'for tool in npm npx corepack yarn; do command -v $tool; done; true');
    const isHealthy = await healthy(container);
    // docker stop sends SIGTERM and waits; the worker drains and exits 0.
    docker('stop', '--time', '30', container);
    const exitCode = Number(docker('inspect', '--format', '{{.State.ExitCode}}', container));
    const stoppedCleanly = exitCode === 0 && docker('logs', container).includes('"worker stopped"');
    const ok = mismatched.length === 0 && inside.ok && uid !== '0' && packageManagers === '' && isHealthy && stoppedCleanly;
    console.log(
      `${name}: ${ok ? 'ok' : 'FAILED'} ${JSON.stringify(expected)}${mismatched.length ? ` applied ${JSON.stringify(Object.fromEntries(mismatched.map(([f]) => [f, applied[f]])))}` : ''}\n` +
        `  inside the container: ${inside.lines.join(', ')}\n` +
        `  uid ${uid}${uid === '0' ? ' (root: FAILED)' : ''}; ${packageManagers === '' ? 'no package manager' : `package managers present: ${packageManagers.split('\n').join(', ')} (FAILED)`}; /healthz ${isHealthy ? 'healthy' : 'NOT healthy'}; SIGTERM: exit ${exitCode}${stoppedCleanly ? ', worker stopped' : ' (no clean stop: FAILED)'}`,
    );
    if (!ok) {
      failures++;
      console.log(docker('logs', '--tail', '30', container));
    }
  } catch (error) {
    // A docker command that failed (a cgroup file missing, say) fails this profile; the next ones are still checked.
    failures++;
    console.log(`${name}: FAILED ${(error as Error).message.split('\n')[0]}`);
  } finally {
    docker('rm', '-f', container);
  }
}
process.exitCode = failures > 0 ? 1 : 0;
