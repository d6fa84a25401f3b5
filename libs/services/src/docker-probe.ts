import { existsSync } from 'node:fs';
import http from 'node:http';

export interface DockerProbeResult {
  reachable: boolean;
  detail: string;
}

const DEFAULT_SOCKET = '/var/run/docker.sock';
const PING_TIMEOUT_MS = 1_500;

/** Where the Docker API listens, from `DOCKER_HOST` (unix:// or tcp://) or the default socket. */
export function dockerEndpoint(env: NodeJS.ProcessEnv): { socketPath: string } | { host: string; port: number } {
  const dockerHost = env['DOCKER_HOST'];
  if (!dockerHost) return { socketPath: DEFAULT_SOCKET };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375) };
}

/**
 * Asks the Docker engine for `/_ping`. The client binary being installed proves nothing;
 * only an engine that answers can start containers.
 */
export async function probeDocker(env: NodeJS.ProcessEnv = process.env): Promise<DockerProbeResult> {
  const endpoint = dockerEndpoint(env);
  if ('socketPath' in endpoint && !existsSync(endpoint.socketPath)) {
    return { reachable: false, detail: `${endpoint.socketPath} does not exist` };
  }
  const where = 'socketPath' in endpoint ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`;
  return new Promise((resolve) => {
    const request = http.get({ ...endpoint, path: '/_ping', timeout: PING_TIMEOUT_MS }, (response) => {
      response.resume();
      const ok = response.statusCode === 200;
      resolve({ reachable: ok, detail: `${where} answered HTTP ${response.statusCode}` });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)));
    request.on('error', (error) => resolve({ reachable: false, detail: `${where}: ${error.message}` }));
  });
}
