import { existsSync } from 'node:fs';
import http from 'node:http';

export interface DockerProbeResult {
  reachable: boolean;
  detail: string;
  /** When reachable: for each wanted entry, the alternative the engine holds or can pull. */
  images?: string[];
}

const DEFAULT_SOCKET = '/var/run/docker.sock';
const PING_TIMEOUT_MS = 1_500;
/** Asking whether an image can be pulled makes the engine contact its registry: a failed DNS lookup takes seconds. */
const REGISTRY_TIMEOUT_MS = 15_000;

/** Images a container needs, best first, and what to do when the engine has none of them. */
export interface WantedImage {
  readonly alternatives: readonly string[];
  readonly fix: string;
}

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

type Availability = { image: string; how: string } | { refusals: string[] };
/** Answers already had in this process, by engine and alternatives: a registry that does not answer can take seconds per lookup, and tests provision many services. */
const answered = new Map<string, Promise<Availability>>();

/** The first of `alternatives` the engine holds, else the first it can pull (asking the registry for the manifest, downloading nothing), else why none. */
function firstAvailable(endpoint: DockerEndpoint, alternatives: readonly string[]): Promise<Availability> {
  const key = `${JSON.stringify(endpoint)} ${alternatives.join(' ')}`;
  let availability = answered.get(key);
  if (!availability) answered.set(key, (availability = lookUp(endpoint, alternatives)));
  return availability;
}

async function lookUp(endpoint: DockerEndpoint, alternatives: readonly string[]): Promise<Availability> {
  for (const image of alternatives) {
    const local = await dockerGet(endpoint, `/images/${image}/json`, PING_TIMEOUT_MS);
    if ('status' in local && local.status === 200) return { image, how: 'present' };
  }
  const refusals: string[] = [];
  for (const image of alternatives) {
    const remote = await dockerGet(endpoint, `/distribution/${image}/json`, REGISTRY_TIMEOUT_MS);
    if ('status' in remote && remote.status === 200) return { image, how: 'pullable' };
    refusals.push(`${image}: ${engineMessage(remote)}`);
  }
  return { refusals };
}

/**
 * Asks the Docker engine for `/_ping`, then, for each entry of `wanted`, which of its
 * alternatives (best first) is present or can be pulled. The client binary being installed
 * proves nothing, and neither does an engine that answers: only one that holds or can fetch
 * the images can start the containers.
 */
export async function probeDocker(env: NodeJS.ProcessEnv = process.env, wanted: readonly WantedImage[] = []): Promise<DockerProbeResult> {
  const endpoint = dockerEndpoint(env);
  if ('socketPath' in endpoint && !existsSync(endpoint.socketPath)) {
    return { reachable: false, detail: `${endpoint.socketPath} does not exist` };
  }
  const where = 'socketPath' in endpoint ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`;
  const ping = await dockerGet(endpoint, '/_ping', PING_TIMEOUT_MS);
  if ('error' in ping) return { reachable: false, detail: `${where}: ${ping.error}` };
  if (ping.status !== 200) return { reachable: false, detail: `${where} answered HTTP ${ping.status}` };
  const images: string[] = [];
  const found: string[] = [];
  for (const { alternatives, fix } of wanted) {
    const available = await firstAvailable(endpoint, alternatives);
    if ('refusals' in available) {
      return { reachable: false, detail: `${where} answered, but no image is present or pullable: ${available.refusals.join('; ')}; ${fix}` };
    }
    images.push(available.image);
    found.push(`${available.image} ${available.how}`);
  }
  return { reachable: true, detail: `${where} answered HTTP 200${found.length > 0 ? `; ${found.join(', ')}` : ''}`, images };
}
