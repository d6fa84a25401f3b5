import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerEndpoint, probeDocker } from './docker-probe';

describe('dockerEndpoint', () => {
  it('reads DOCKER_HOST as a unix socket or a TCP address, defaulting to the standard socket', () => {
    expect(dockerEndpoint({})).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerEndpoint({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toEqual({
      socketPath: '/run/user/1000/docker.sock',
    });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://10.0.0.5:2376' })).toEqual({ host: '10.0.0.5', port: 2376 });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://docker' })).toEqual({ host: 'docker', port: 2375 });
  });
});

describe('probeDocker', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('reports a missing socket without waiting', async () => {
    const result = await probeDocker({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(result).toEqual({ reachable: false, detail: '/nonexistent/docker.sock does not exist' });
  });

  it('says reachable only when something answers /_ping with 200', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'docker-probe-'));
    const socketPath = path.join(dir, 'docker.sock');
    const server = http.createServer((request, response) => {
      response.statusCode = request.url === '/_ping' ? 200 : 404;
      response.end('OK');
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    cleanup = async () => {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    };

    const result = await probeDocker({ DOCKER_HOST: `unix://${socketPath}` });
    expect(result).toEqual({ reachable: true, detail: `${socketPath} answered HTTP 200`, images: [] });
  });

  it('reports a socket nobody listens on as unreachable', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'docker-probe-'));
    const socketPath = path.join(dir, 'docker.sock');
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    // Closing with the path still present leaves a dead socket file behind on some systems;
    // either way nothing answers.
    await new Promise((resolve) => server.close(resolve));
    cleanup = () => rm(dir, { recursive: true, force: true });

    const result = await probeDocker({ DOCKER_HOST: `unix://${socketPath}` });
    expect(result.reachable).toBe(false);
  });

  it('says an engine that neither holds nor can pull an image cannot serve, naming the image and the fix', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'docker-probe-'));
    const socketPath = path.join(dir, 'docker.sock');
    // The answers of a Docker 20.10 engine with one image built locally and no registry reachable.
    const server = http.createServer((request, response) => {
      const url = request.url ?? '';
      const json = (status: number, body: object) => {
        response.statusCode = status;
        response.end(JSON.stringify(body));
      };
      if (url === '/_ping') return void response.end('OK');
      if (url === '/images/built:1/json') return json(200, { Id: 'sha256:0' });
      if (url.startsWith('/images/')) return json(404, { message: `No such image: ${url.slice(8, -5)}` });
      if (url === '/distribution/upstream:2/json') return json(200, { Descriptor: {} });
      json(500, { message: 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host' });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    cleanup = async () => {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    };
    const env = { DOCKER_HOST: `unix://${socketPath}` };

    // A present stand-in is taken before the registry is asked about the upstream image.
    const fix = 'build it';
    expect(await probeDocker(env, [{ alternatives: ['postgres:16.10-alpine', 'built:1'], fix }, { alternatives: ['upstream:2'], fix }])).toEqual({
      reachable: true,
      detail: `${socketPath} answered HTTP 200; built:1 present, upstream:2 pullable`,
      images: ['built:1', 'upstream:2'],
    });
    const missing = await probeDocker(env, [{ alternatives: ['built:1'], fix }, { alternatives: ['postgres:16.10-alpine', 'stand-in:1'], fix: 'run npm run docker:images' }]);
    expect(missing.reachable).toBe(false);
    expect(missing.detail).toContain('no image is present or pullable: postgres:16.10-alpine: HTTP 500: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host; stand-in:1: HTTP 500');
    expect(missing.detail).toContain('npm run docker:images');
  });
});
