import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseS3Request, type S3Request } from './s3-request';

/**
 * What the proxy does to a matching request instead of (or around) forwarding it:
 * - `status`: answers with an S3 error document (500 InternalError, 503 SlowDown, ...);
 * - `reset`: destroys the client's connection before answering;
 * - `stall`: never answers, so only the client's own timeout ends the request;
 * - `hold`: keeps the request unforwarded until released (a crash point before the store
 *   sees it, or a slow store);
 * - `hold-response`: forwards it, then keeps the store's answer (a crash point after the
 *   store applied it but before the client learned so).
 */
export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly code: string }
  | { readonly kind: 'reset' }
  | { readonly kind: 'stall' }
  | { readonly kind: 'hold' }
  | { readonly kind: 'hold-response' };

export const SLOW_DOWN: Fault = { kind: 'status', status: 503, code: 'SlowDown' };
export const INTERNAL_ERROR: Fault = { kind: 'status', status: 500, code: 'InternalError' };

export interface FaultRule {
  readonly matches: (request: S3Request) => boolean;
  readonly fault: Fault;
  /** Requests it applies to, the first matching ones. @defaultValue every matching request */
  readonly times?: number;
}

/** A rule once injected: how often it fired, and the first request it fired on. */
export interface InjectedFault {
  readonly hits: number;
  /** Resolves with the first request the rule applied to; for `hold` faults, once it is held. */
  readonly reached: Promise<S3Request>;
  /** Forwards the requests a `hold` fault keeps, as if the store had been slow. */
  release(): void;
  remove(): void;
}

export interface ProxiedRequest extends S3Request {
  /** The fault applied, or `forwarded`. */
  readonly outcome: Fault['kind'] | 'forwarded';
  /** The store's status when the request was forwarded. */
  readonly status?: number;
}

/**
 * An HTTP proxy in front of an S3-protocol store that injects faults by rule. It forwards
 * requests unchanged, Host header included, so SigV4 signatures made for the proxy's
 * address still verify at the store.
 */
export class S3FaultProxy implements AsyncDisposable {
  /** Every request seen, in arrival order. */
  readonly requests: ProxiedRequest[] = [];
  private readonly rules: Array<{ rule: FaultRule; state: { hits: number }; resolve: (request: S3Request) => void; held: Array<() => void> }> = [];
  private readonly sockets = new Set<Socket>();
  private readonly upstream: URL;
  private server: http.Server | undefined;

  private constructor(upstream: string) {
    this.upstream = new URL(upstream);
  }

  static async start(upstream: string): Promise<S3FaultProxy> {
    const proxy = new S3FaultProxy(upstream);
    const server = http.createServer((request, response) => proxy.handle(request, response));
    server.on('connection', (socket) => {
      proxy.sockets.add(socket);
      socket.once('close', () => proxy.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    proxy.server = server;
    return proxy;
  }

  /** The endpoint to give S3 clients instead of the store's. */
  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  inject(rule: FaultRule): InjectedFault {
    const state = { hits: 0 };
    let resolve!: (request: S3Request) => void;
    const reached = new Promise<S3Request>((r) => (resolve = r));
    const entry = { rule, state, resolve, held: [] as Array<() => void> };
    this.rules.push(entry);
    return {
      get hits() {
        return state.hits;
      },
      reached,
      release: () => {
        for (const forward of entry.held.splice(0)) forward();
      },
      remove: () => {
        const index = this.rules.indexOf(entry);
        if (index >= 0) this.rules.splice(index, 1);
      },
    };
  }

  clear(): void {
    this.rules.length = 0;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    // Stalled and held requests would keep the server open forever.
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const parsed = parseS3Request(request.method ?? 'GET', request.url ?? '/');
    const entry = this.rules.find((e) => (e.rule.times === undefined || e.state.hits < e.rule.times) && e.rule.matches(parsed));
    if (!entry) return this.forward(request, response, parsed);
    entry.state.hits += 1;
    const { fault } = entry.rule;
    this.requests.push({ ...parsed, outcome: fault.kind });
    switch (fault.kind) {
      case 'status':
        entry.resolve(parsed);
        return answerWithError(request, response, fault);
      case 'reset':
        entry.resolve(parsed);
        request.socket.destroy();
        return;
      case 'stall':
        // The client's timeout ends it; nothing is forwarded.
        entry.resolve(parsed);
        return;
      case 'hold':
        // Until released; a client that gives up or is killed meanwhile ends it unforwarded.
        entry.held.push(() => {
          if (!response.destroyed) this.forward(request, response, parsed);
        });
        entry.resolve(parsed);
        return;
      case 'hold-response':
        return this.forward(request, response, parsed, () => entry.resolve(parsed));
    }
  }

  /** Pipes the request to the store; with `holdAnswer`, consumes the store's answer and keeps it from the client. */
  private forward(request: http.IncomingMessage, response: http.ServerResponse, parsed: S3Request, holdAnswer?: () => void): void {
    const upstream = http.request(
      { host: this.upstream.hostname, port: this.upstream.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        if (!holdAnswer) this.requests.push({ ...parsed, outcome: 'forwarded', status: answer.statusCode ?? 0 });
        if (holdAnswer) {
          answer.resume();
          answer.once('end', holdAnswer);
          return;
        }
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => request.socket.destroy());
    // The client went away (killed, timed out): the store must not see the rest of the request.
    response.once('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });
    request.pipe(upstream);
  }
}

function answerWithError(request: http.IncomingMessage, response: http.ServerResponse, fault: Extract<Fault, { kind: 'status' }>): void {
  // Read the body first: answering a PUT before it is sent makes the client see EPIPE, not the status.
  request.resume();
  request.once('end', () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fault.code}</Code><Message>injected fault</Message><RequestId>fault-proxy</RequestId></Error>`;
    response.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
}
