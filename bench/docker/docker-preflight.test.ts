import { describe, expect, it } from 'vitest';
import type { DockerResult, DockerRunner } from './docker-cli';
import { checkDockerReady, DockerNotReadyError } from './docker-preflight';

/** A docker CLI that answers each subcommand from a table, and records what it was asked. */
function fakeDocker(answers: Record<string, DockerResult | Error>): DockerRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const run = async (args: readonly string[]) => {
    calls.push([...args]);
    const answer = answers[args[0] === 'image' ? 'image' : args[0]!];
    if (answer instanceof Error) throw answer;
    if (!answer) throw new Error(`unexpected docker ${args.join(' ')}`);
    return answer;
  };
  return Object.assign(run, { calls });
}

const ok = (stdout: string): DockerResult => ({ exitCode: 0, stdout, stderr: '' });

async function failureOf(docker: DockerRunner): Promise<DockerNotReadyError> {
  const error = await checkDockerReady(docker, 'storage-builder-worker').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DockerNotReadyError);
  return error as DockerNotReadyError;
}

describe('checkDockerReady', () => {
  it('names installing Docker when the CLI is missing', async () => {
    const error = await failureOf(fakeDocker({ version: Object.assign(new Error('spawn docker ENOENT'), { code: 'ENOENT' }) }));
    expect(error.code).toBe('no-cli');
    expect(error.message).toMatch(/docker CLI is not on PATH: install Docker/);
  });

  it('names starting the engine, with docker\'s own reason, when only the client answers', async () => {
    const error = await failureOf(
      fakeDocker({ version: { exitCode: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' } }),
    );
    expect(error.code).toBe('no-engine');
    expect(error.message).toContain('Cannot connect to the Docker daemon');
    expect(error.message).toContain('start the Docker daemon');
  });

  it('names npm run docker:build when the image is missing', async () => {
    const docker = fakeDocker({ version: ok('28.2.2'), image: { exitCode: 1, stdout: '[]', stderr: 'Error: No such image: storage-builder-worker' } });
    const error = await failureOf(docker);
    expect(error.code).toBe('no-image');
    expect(error.message).toContain('build it with npm run docker:build');
    expect(docker.calls[1]).toEqual(['image', 'inspect', '--format', '{{.Id}}', 'storage-builder-worker']);
  });

  it('returns the engine version and the image id when all is there', async () => {
    await expect(checkDockerReady(fakeDocker({ version: ok('28.2.2'), image: ok('sha256:abc') }), 'storage-builder-worker')).resolves.toEqual({ serverVersion: '28.2.2', imageId: 'sha256:abc' });
  });

  it('rethrows other start failures as they are', async () => {
    await expect(checkDockerReady(fakeDocker({ version: Object.assign(new Error('spawn docker EACCES'), { code: 'EACCES' }) }), 'x')).rejects.toThrow('EACCES');
  });
});
