// Before any service is provisioned: is there a docker CLI, an engine that answers, and the
// worker image? Each "no" says what to do.
import type { DockerRunner } from './docker-cli';

export type DockerNotReadyCode = 'no-cli' | 'no-engine' | 'no-image';

/** Docker cannot run the flow here; `code` says which part is missing. */
export class DockerNotReadyError extends Error {
  override readonly name = 'DockerNotReadyError';
  constructor(
    readonly code: DockerNotReadyCode,
    message: string,
  ) {
    super(message);
  }
}

export interface DockerReady {
  readonly serverVersion: string;
  readonly imageId: string;
}

const firstLine = (text: string) => text.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';

/** Checks the CLI, the engine and the image, in that order, and fails at the first gap. */
export async function checkDockerReady(docker: DockerRunner, image: string): Promise<DockerReady> {
  let version;
  try {
    version = await docker(['version', '--format', '{{.Server.Version}}']);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DockerNotReadyError('no-cli', 'the docker CLI is not on PATH: install Docker (the CLI and an engine) to run the worker image; without Docker, npm run reproduce runs the same scenarios in the cgroup sandbox');
    }
    throw error;
  }
  // Without an engine the client still prints its own version and exits non-zero.
  if (version.exitCode !== 0 || version.stdout === '') {
    throw new DockerNotReadyError(
      'no-engine',
      `no Docker engine answers (${firstLine(version.stderr) || `docker version exited ${version.exitCode}`}): start the Docker daemon or set DOCKER_HOST to one; without Docker, npm run reproduce runs the same scenarios in the cgroup sandbox`,
    );
  }
  const inspect = await docker(['image', 'inspect', '--format', '{{.Id}}', image]);
  if (inspect.exitCode !== 0 || inspect.stdout === '') {
    throw new DockerNotReadyError('no-image', `the image ${image} is not there (${firstLine(inspect.stderr) || 'docker image inspect found nothing'}): build it with npm run docker:build, or pass --image`);
  }
  return { serverVersion: version.stdout, imageId: inspect.stdout };
}
