// The `docker run` command lines of the Docker reproduce flow: the worker image under a
// resource profile's HostConfig limits, and the busy neighbours that compete with it.
import { dockerHostConfigFor, dockerRunFlags, type ResourceProfile } from '@storage-builder/resources';
import type { Switches } from '../harness/scenarios';

/** Every container the flow starts carries this label, so a leftover one can be found by it. */
export const CONTAINER_LABEL = 'storage-builder.reproduce-docker';

/** What the worker in the container connects to; with `--network host` these are host addresses. */
export interface WorkerServiceEndpoints {
  readonly databaseUrl: string;
  readonly s3: {
    readonly endpoint: string;
    readonly region: string;
    readonly bucket: string;
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
  };
}

export interface WorkerContainerInput {
  readonly image: string;
  readonly name: string;
  /** This invocation's value of {@link CONTAINER_LABEL}, so its containers can be removed together. */
  readonly runLabel: string;
  readonly profile: ResourceProfile;
  readonly switches: Switches;
  readonly services: WorkerServiceEndpoints;
  /** Snapshot key prefix of this scenario, so no scenario reads another's snapshots. */
  readonly prefix: string;
  /** A free port on the host: the container shares the host's network. */
  readonly port: number;
  readonly controlToken: string;
}

/**
 * A `docker` invocation. Values of `env` are passed through the docker CLI's own environment
 * (`--env NAME` without a value), so the database password, the S3 secret and the control
 * token never appear in a process list.
 */
export interface DockerInvocation {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** The worker's environment for one scenario, in the variable names apps/worker reads. */
export function workerEnvironment(input: WorkerContainerInput): Record<string, string> {
  const { services, switches } = input;
  return {
    DATABASE_URL: services.databaseUrl,
    S3_ENDPOINT: services.s3.endpoint,
    S3_REGION: services.s3.region,
    S3_BUCKET: services.s3.bucket,
    S3_PREFIX: input.prefix,
    AWS_ACCESS_KEY_ID: services.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: services.s3.secretAccessKey,
    CONTROL_TOKEN: input.controlToken,
    PORT: String(input.port),
    SERIALIZER: switches.serializer,
    PARALLELISM: String(switches.parallelism),
    INCREMENTAL: String(switches.incremental),
    // The manifest in the bucket is the truth, as in the in-process reproduce runs.
    TRACKER: 'manifest',
    MODE: 'standalone',
    // Per-target info lines would cost the measured run CPU; failures come back in the run status.
    LOG_LEVEL: 'warn',
  };
}

/** How every `docker run` of the flow starts: detached, named, with {@link CONTAINER_LABEL}. */
function detachedRun(name: string, runLabel: string, network: 'host' | 'none'): string[] {
  return ['run', '--detach', '--name', name, '--label', `${CONTAINER_LABEL}=${runLabel}`, '--network', network];
}

/** `docker run` of the worker image, detached, on the host network, under the profile's limits. */
export function workerRunInvocation(input: WorkerContainerInput): DockerInvocation {
  const env = workerEnvironment(input);
  return {
    args: [
      ...detachedRun(input.name, input.runLabel, 'host'),
      ...dockerRunFlags(dockerHostConfigFor(input.profile)),
      ...Object.keys(env).flatMap((name) => ['--env', name]),
      input.image,
    ],
    env,
  };
}

/** The busy loop each neighbour runs: one process that wants a whole CPU. */
export const NEIGHBOUR_BUSY_LOOP = 'for (;;) {}';

/**
 * One neighbour: the worker image's node in a busy loop, with the profile's neighbour weight
 * as its CPU shares (as the cgroup sandbox gives its neighbours), no network.
 */
export function neighbourRunInvocation(input: { image: string; name: string; runLabel: string; cpuShares: number }): DockerInvocation {
  return {
    args: [
      ...detachedRun(input.name, input.runLabel, 'none'),
      `--cpu-shares=${input.cpuShares}`,
      '--entrypoint',
      'node',
      input.image,
      '-e',
      NEIGHBOUR_BUSY_LOOP,
    ],
    env: {},
  };
}
