import { existsSync } from 'node:fs';
import http from 'node:http';

export interface DockerProbeResult {
  reachable: boolean;
  detail: string;
}

const DEFAULT_SOCKET = '/var/run/docker.sock';
const PING_TIMEOUT_MS = 1_500;
/** Asking whether an image can be pulled makes the engine contact its registry: a failed DNS lookup takes seconds. */
const REGISTRY_TIMEOUT_MS = 15_000;

type DockerEndpoint = { socketPath: string } | { host: string; port: number };

/** Where the Docker API listens, from `DOCKER_HOST` (unix:// or tcp://) or the default socket. */
export function dockerEndpoint(env: NodeJS.ProcessEnv): DockerEndpoint {
  const dockerHost = env['DOCKER_HOST'];
  if (!dockerHost) return { socketPath: DEFAULT_SOCKET };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375) };
}

/** One GET of the engine's API: the status and body, or the error that stopped it. */
function dockerGet(endpoint: DockerEndpoint, path: string, timeoutMs: number): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const request = http.get({ ...endpoint, path, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve({ error: error.message }));
  });
}

/** The engine's own words for a failed call: its JSON `message`, else the body. */
function engineMessage(answer: { status: number; body: string } | { error: string }): string {
  if ('error' in answer) return answer.error;
  try {
    return `HTTP ${answer.status}: ${(JSON.parse(answer.body) as { message?: string }).message ?? answer.body.trim()}`;
  } catch {
    return `HTTP ${answer.status}: ${answer.body.trim().slice(0, 300)}`;
  }
}

/** Whether the engine holds `image` or can pull it (it asks the registry for the image's manifest, downloading nothing). */
async function imageAvailability(endpoint: DockerEndpoint, image: string): Promise<{ available: boolean; how: string }> {
  const local = await dockerGet(endpoint, `/images/${image}/json`, PING_TIMEOUT_MS);
  if ('status' in local && local.status === 200) return { available: true, how: 'present' };
  const remote = await dockerGet(endpoint, `/distribution/${image}/json`, REGISTRY_TIMEOUT_MS);
  if ('status' in remote && remote.status === 200) return { available: true, how: 'pullable' };
  return { available: false, how: engineMessage(remote) };
}

/**
 * Asks the Docker engine for `/_ping`, then whether each of `images` is present or can be
 * pulled. The client binary being installed proves nothing, and neither does an engine
 * that answers: only one that holds or can fetch the images can start the containers.
 */
export async function probeDocker(env: NodeJS.ProcessEnv = process.env, images: readonly string[] = []): Promise<DockerProbeResult> {
  const endpoint = dockerEndpoint(env);
  if ('socketPath' in endpoint && !existsSync(endpoint.socketPath)) {
    return { reachable: false, detail: `${endpoint.socketPath} does not exist` };
  }
  const where = 'socketPath' in endpoint ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`;
  const ping = await dockerGet(endpoint, '/_ping', PING_TIMEOUT_MS);
  if ('error' in ping) return { reachable: false, detail: `${where}: ${ping.error}` };
  if (ping.status !== 200) return { reachable: false, detail: `${where} answered HTTP ${ping.status}` };
  const found: string[] = [];
  for (const image of images) {
    const availability = await imageAvailability(endpoint, image);
    if (!availability.available) {
      return {
        reachable: false,
        detail: `${where} answered, but image ${image} is neither present nor pullable (${availability.how}): build the stand-in images with \`npm run docker:images\`, or pull ${image}`,
      };
    }
    found.push(`${image} ${availability.how}`);
  }
  return { reachable: true, detail: `${where} answered HTTP 200${found.length > 0 ? `; ${found.join(', ')}` : ''}` };
}
