import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseS3Request, type S3Operation, type S3Request } from './s3-request';

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
  /**
   * The fault applied, `forwarded`, or `refused`: with `enforceConditionalWrites`, the proxy
   * answered a conditional write itself because its condition did not hold.
   */
  readonly outcome: Fault['kind'] | 'forwarded' | 'refused';
  /** The store's status when the request was forwarded; the proxy's when refused. */
  readonly status?: number;
}

export interface S3FaultProxyOptions {
  /**
   * Enforce `If-None-Match: *` and `If-Match: <etag>` on PutObject and
   * CompleteMultipartUpload the way AWS S3 does, for a store that ignores them (s3rver
   * 3.7.1). The condition is checked when the request is forwarded (after a `hold` is
   * released), against the store's current object, and the check and the write are atomic
   * per key. The upstream must answer unsigned HEAD requests (s3rver does).
   * @defaultValue false
   */
  readonly enforceConditionalWrites?: boolean;
}

/** A refusal as AWS words it: status, code, message. */
type ErrorAnswer = { readonly status: number; readonly code: string; readonly message?: string };

/**
 * An HTTP proxy in front of an S3-protocol store that injects faults by rule. It forwards
 * requests unchanged, Host header included, so SigV4 signatures made for the proxy's
 * address still verify at the store. With `enforceConditionalWrites` it also refuses
 * conditional writes whose condition does not hold, as AWS S3 does and s3rver does not.
 *
 * @example
 * const proxy = await S3FaultProxy.start(store.connection.endpoint, { enforceConditionalWrites: true });
 */
export class S3FaultProxy implements AsyncDisposable {
  /** Every request seen, in arrival order. */
  readonly requests: ProxiedRequest[] = [];
  private readonly rules: Array<{ rule: FaultRule; state: { hits: number }; resolve: (request: S3Request) => void; held: Array<() => void> }> = [];
  private readonly sockets = new Set<Socket>();
  private readonly upstream: URL;
  private readonly enforceConditionalWrites: boolean;
  /** Per `bucket/key`, the tail of the chain of writes to it (only with `enforceConditionalWrites`). */
  private readonly keyQueues = new Map<string, Promise<void>>();
  private server: http.Server | undefined;

  private constructor(upstream: string, options: S3FaultProxyOptions) {
    this.upstream = new URL(upstream);
    this.enforceConditionalWrites = options.enforceConditionalWrites ?? false;
  }

  static async start(upstream: string, options: S3FaultProxyOptions = {}): Promise<S3FaultProxy> {
    const proxy = new S3FaultProxy(upstream, options);
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
    if (!entry) return this.dispatch(request, response, parsed);
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
          if (!response.destroyed) this.dispatch(request, response, parsed);
        });
        entry.resolve(parsed);
        return;
      case 'hold-response':
        return this.dispatch(request, response, parsed, () => entry.resolve(parsed));
    }
  }

  /**
   * Forwards the request; with `enforceConditionalWrites`, a write to an object first waits
   * its turn on the key, and a conditional one is checked against the store's object then.
   * Every write to the key joins the queue, conditional or not, so that no write lands
   * between another's check and its forwarding.
   */
  private dispatch(request: http.IncomingMessage, response: http.ServerResponse, parsed: S3Request, holdAnswer?: () => void): void {
    if (!this.enforceConditionalWrites || !WRITES.has(parsed.operation)) {
      void this.forward(request, response, parsed, holdAnswer);
      return;
    }
    this.serialise(`${parsed.bucket}/${parsed.key}`, async () => {
      // The client gave up (or the proxy stopped) while the request waited its turn.
      if (response.destroyed) return;
      const refusal = await this.checkConditions(request);
      if (response.destroyed) return;
      if (!refusal) return this.forward(request, response, parsed, holdAnswer);
      if (holdAnswer) {
        // As for a forwarded request: the answer (here the proxy's, not the store's) is kept from the client.
        request.resume();
        request.once('end', holdAnswer);
        return;
      }
      this.requests.push({ ...parsed, outcome: 'refused', status: refusal.status });
      answerWithError(request, response, refusal);
    });
  }

  /** Runs `task` after every earlier task on `key` has settled: a mutex as a promise chain. */
  private serialise(key: string, task: () => Promise<void>): void {
    const tail = (this.keyQueues.get(key) ?? Promise.resolve()).then(task).catch(() => undefined);
    this.keyQueues.set(key, tail);
    void tail.then(() => {
      if (this.keyQueues.get(key) === tail) this.keyQueues.delete(key);
    });
  }

  /** What AWS would answer instead of applying the write, or undefined when its conditions hold (or it has none). */
  private async checkConditions(request: http.IncomingMessage): Promise<ErrorAnswer | undefined> {
    const ifNoneMatch = request.headers['if-none-match'];
    const ifMatch = request.headers['if-match'];
    if (ifNoneMatch === undefined && ifMatch === undefined) return undefined;
    // AWS accepts only `*` for If-None-Match on writes, and not both headers together.
    if (ifNoneMatch !== undefined && (ifNoneMatch !== '*' || ifMatch !== undefined)) {
      return { status: 501, code: 'NotImplemented', message: 'A header you provided implies functionality that is not implemented' };
    }
    let current: string | undefined;
    try {
      current = await this.headAtUpstream(request.url ?? '/');
    } catch (error) {
      return { status: 500, code: 'InternalError', message: `conditional write check failed: ${(error as Error).message}` };
    }
    if (ifNoneMatch !== undefined) return current === undefined ? undefined : PRECONDITION_FAILED;
    // AWS answers If-Match on a missing key with 404 NoSuchKey, not 412.
    if (current === undefined) return { status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.' };
    return normaliseEtag(current) === normaliseEtag(ifMatch ?? '') ? undefined : PRECONDITION_FAILED;
  }

  /**
   * The ETag of the object the request line names, or undefined when there is none. The
   * request is the proxy's own and unsigned (it has no credentials); s3rver serves
   * anonymous requests in its default configuration.
   */
  private headAtUpstream(url: string): Promise<string | undefined> {
    // The path alone: the object, without the write's query (`?uploadId=`).
    const path = new URL(url, 'http://proxy.invalid').pathname;
    return new Promise((resolve, reject) => {
      const head = http.request({ host: this.upstream.hostname, port: this.upstream.port, method: 'HEAD', path }, (answer) => {
        answer.resume();
        const status = answer.statusCode ?? 0;
        if (status === 404) return resolve(undefined);
        const etag = answer.headers.etag;
        if (status === 200 && etag) return resolve(etag);
        reject(new Error(`HEAD ${path} at the store answered ${status}`));
      });
      head.on('error', reject);
      head.end();
    });
  }

  /**
   * Pipes the request to the store; with `holdAnswer`, consumes the store's answer and keeps it from the client.
   * Settles once the store's answer has ended or the exchange failed: the write is then over at the store.
   */
  private forward(request: http.IncomingMessage, response: http.ServerResponse, parsed: S3Request, holdAnswer?: () => void): Promise<void> {
    // The headers go unchanged, the conditional ones included: the client's SigV4 signature covers them.
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
    return new Promise((resolve) => {
      upstream.once('response', (answer) => answer.once('end', resolve).once('close', resolve));
      // Failed or destroyed before (or while) answering.
      upstream.once('close', resolve);
    });
  }
}

/** The writes that change which object a key names; with `enforceConditionalWrites` they queue per key. */
const WRITES = new Set<S3Operation>(['PutObject', 'CompleteMultipartUpload', 'DeleteObject']);

const PRECONDITION_FAILED: ErrorAnswer = {
  status: 412,
  code: 'PreconditionFailed',
  message: 'At least one of the pre-conditions you specified did not hold',
};

/** S3 compares ETags with their double quotes removed; clients send them quoted or not. */
function normaliseEtag(etag: string): string {
  return etag.replace(/"/g, '').trim();
}

function answerWithError(request: http.IncomingMessage, response: http.ServerResponse, answer: ErrorAnswer): void {
  // Read the body first: answering a PUT before it is sent makes the client see EPIPE, not the status.
  request.resume();
  request.once('end', () => {
    const message = (answer.message ?? 'injected fault').replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`);
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${answer.code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`;
    response.writeHead(answer.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
}
