import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage, type Logger } from '@storage-builder/updater';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/prometheus-text';
import type { RunController } from '../runs/run-controller';
import { runDetail, runOverview } from '../runs/run-record';
import { bearerChecker } from './bearer-auth';
import { parseClientIdParam, parseRunRequestBody, readJsonObject, RequestError } from './json-body';

/** What /readyz answers: which dependencies answer, never why one does not (that goes to the log). */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, 'ok' | 'fail'>>;
}

/** What the HTTP API needs from the rest of the worker. */
export interface ControlApi {
  readonly controlToken: string;
  readonly controller: RunController;
  clientExists(clientId: number): Promise<boolean>;
  readiness(): Promise<ReadinessReport>;
  /** Removes secrets from a response body before it is serialized. */
  redact<T>(value: T): T;
  metricsText(): string;
  isStopping(): boolean;
  readonly logger: Logger;
}

type Handler = (request: IncomingMessage, response: ServerResponse, params: string[]) => Promise<void> | void;
interface Route {
  readonly pattern: RegExp;
  readonly auth: boolean;
  readonly methods: Readonly<Record<string, Handler>>;
}

function writeJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  response.end(text);
}


/** The worker's HTTP API on node:http: control routes behind a bearer token, health and metrics open. */
export function createControlServer(api: ControlApi): Server {
  // Every answer is redacted as a value, before it is serialized: a run's error can quote a connection string.
  const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => writeJson(response, status, api.redact(body), headers);
  const fail = (response: ServerResponse, error: RequestError, headers: Record<string, string> = {}) =>
    send(response, error.status, { error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } }, headers);
  const checkToken = bearerChecker(api.controlToken);
  const stopping = () => new RequestError(503, 'stopping', 'the worker is stopping: send the request to another task');

  const startRun = async (request: IncomingMessage, response: ServerResponse, clientId: number | undefined, verify = false) => {
    // `/update-all?clientId=3` must not start a run of every client.
    const [field] = new URL(request.url ?? '/', 'http://worker').searchParams.keys();
    if (field !== undefined) {
      throw new RequestError(400, 'unknown-field', `query parameter ${JSON.stringify(field)} is not accepted: one client is POST /clients/:id/update, a reason goes in the JSON body`, field);
    }
    const body = parseRunRequestBody(await readJsonObject(request));
    if (api.isStopping()) throw stopping();
    if (clientId !== undefined && !(await api.clientExists(clientId))) {
      throw new RequestError(404, 'unknown-client', `client ${clientId} is not in the source's clients table`, 'clientId');
    }
    const kind = verify ? 'verify' : clientId === undefined ? 'update-all' : 'update-client';
    const outcome = api.controller.start({ kind, clientId, trigger: 'api', reason: body.reason });
    if (outcome.started) {
      api.logger.log('info', 'run accepted', { runId: outcome.run.id, kind: outcome.run.kind, clientId, reason: body.reason });
      return send(response, 202, { runId: outcome.run.id, status: outcome.run.status, alreadyRunning: false, statusUrl: `/runs/${outcome.run.id}` }, { location: `/runs/${outcome.run.id}` });
    }
    if (outcome.reason === 'stopping') throw stopping();
    const running = outcome.run;
    if (clientId !== undefined || running.kind !== kind) {
      // A single-client run would write targets the running run writes too.
      throw new RequestError(409, 'run-in-progress', `run ${running.id} (${running.kind}) is in progress: retry when it has finished`);
    }
    return send(response, 200, { runId: running.id, status: running.status, alreadyRunning: true, statusUrl: `/runs/${running.id}` }, { location: `/runs/${running.id}` });
  };

  const routes: Route[] = [
    { pattern: /^\/healthz$/, auth: false, methods: { GET: (_q, r) => send(r, 200, { status: 'ok' }) } },
    {
      pattern: /^\/readyz$/,
      auth: false,
      methods: {
        GET: async (_q, r) => {
          if (api.isStopping()) return send(r, 503, { ready: false, stopping: true, checks: {} });
          const report = await api.readiness();
          send(r, report.ready ? 200 : 503, report);
        },
      },
    },
    {
      pattern: /^\/metrics$/,
      auth: false,
      methods: {
        GET: (_q, r) => {
          const text = api.metricsText();
          r.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
          r.end(text);
        },
      },
    },
    { pattern: /^\/update-all$/, auth: true, methods: { POST: (q, r) => startRun(q, r, undefined) } },
    { pattern: /^\/clients\/([^/]+)\/update$/, auth: true, methods: { POST: (q, r, [id]) => startRun(q, r, parseClientIdParam(id ?? '')) } },
    { pattern: /^\/verify$/, auth: true, methods: { POST: (q, r) => startRun(q, r, undefined, true) } },
    { pattern: /^\/clients\/([^/]+)\/verify$/, auth: true, methods: { POST: (q, r, [id]) => startRun(q, r, parseClientIdParam(id ?? ''), true) } },
    { pattern: /^\/runs$/, auth: true, methods: { GET: (_q, r) => send(r, 200, { running: api.controller.running?.id ?? null, runs: api.controller.list().map(runOverview) }) } },
    {
      pattern: /^\/runs\/([^/]+)$/,
      auth: true,
      methods: {
        GET: (_q, r, [id]) => {
          const run = api.controller.get(id ?? '');
          if (!run) throw new RequestError(404, 'unknown-run', `run ${JSON.stringify(id)} is not among the last runs of this worker`, 'runId');
          send(r, 200, runDetail(run));
        },
      },
    },
  ];

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://worker').pathname;
    const route = routes.find((candidate) => candidate.pattern.test(path));
    if (!route) throw new RequestError(404, 'not-found', `no route ${path}: see the worker's README for the API`);
    const handler = route.methods[request.method ?? ''];
    if (!handler) {
      const allow = Object.keys(route.methods).join(', ');
      throw Object.assign(new RequestError(405, 'method-not-allowed', `${request.method} is not allowed on ${path}: use ${allow}`), { allow });
    }
    if (route.auth) {
      const outcome = checkToken(request.headers.authorization);
      if (outcome === 'missing') throw Object.assign(new RequestError(401, 'unauthorized', 'send Authorization: Bearer <CONTROL_TOKEN>'), { challenge: true });
      if (outcome === 'wrong') throw new RequestError(403, 'forbidden', 'the bearer token is not the CONTROL_TOKEN');
    }
    const params = (route.pattern.exec(path) ?? []).slice(1);
    await handler(request, response, params);
  };

  return createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) return response.destroy();
      if (error instanceof RequestError) {
        const extra = error as RequestError & { allow?: string; challenge?: boolean };
        const headers: Record<string, string> = {};
        if (extra.allow) headers['allow'] = extra.allow;
        if (extra.challenge) headers['www-authenticate'] = 'Bearer';
        // Unread bodies of refused requests would keep the connection busy.
        if (!request.complete) headers['connection'] = 'close';
        return fail(response, error, headers);
      }
      api.logger.log('error', 'request failed', { method: request.method, path: request.url, error: errorMessage(error) });
      send(response, 500, { error: { code: 'internal', message: 'the worker could not handle the request; see its logs' } });
    });
  });
}

/** Listens and resolves with the port (useful with port 0). */
export function listen(server: Server, port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting connections, ends idle keep-alive ones, and waits for the rest to finish. */
export function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
