// Starts the worker image under each resource profile's Docker HostConfig limits, checks
// that Docker applied exactly the limits the cgroup sandbox uses, and that the worker
// answers /healthz. Needs a Docker engine and the image (npm run docker:build).
//
//   npm run docker:smoke [-- --image storage-builder-worker --profiles incident,recommended]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { dockerHostConfigFor, dockerRunFlags } from '@storage-builder/resources';
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

let failures = 0;
for (const name of values.profiles.split(',')) {
  const expected = dockerHostConfigFor(loadResourceProfile(name));
  const container = `storage-builder-smoke-${name}-${randomBytes(3).toString('hex')}`;
  docker(
    'run', '-d', '--name', container, ...dockerRunFlags(expected),
    // A syntactically valid configuration: liveness does not need the services.
    '-e', 'DATABASE_URL=postgres://smoke@127.0.0.1:1/smoke', '-e', 'S3_BUCKET=smoke', '-e', 'S3_REGION=us-east-1',
    '-e', `CONTROL_TOKEN=${randomBytes(24).toString('hex')}`,
    values.image,
  );
  try {
    const applied = JSON.parse(docker('inspect', '--format', '{{json .HostConfig}}', container)) as Record<string, number>;
    const mismatched = Object.entries(expected).filter(([field, value]) => applied[field] !== value);
    const ok = mismatched.length === 0 && (await healthy(container));
    console.log(`${name}: ${ok ? 'ok' : 'FAILED'} ${JSON.stringify(expected)}${mismatched.length ? ` applied ${JSON.stringify(Object.fromEntries(mismatched.map(([f]) => [f, applied[f]])))}` : ''}`);
    if (!ok) {
      failures++;
      console.log(docker('logs', '--tail', '30', container));
    }
  } finally {
    docker('rm', '-f', container);
  }
}
process.exitCode = failures > 0 ? 1 : 0;
