// Sends one HTTP step for one user and checks its expectations and captures. It never
// throws: every failure is returned as an error class, because under load a failure is
// data, not an exception.
//
// Requests go through undici's low-level `dispatch` with a small handler rather than
// `request()`: no body stream, no parsed header object and one promise per request. On a
// one-step benchmark this is most of the generator's CPU per request (see `npm run bench`).

import { Client, Pool, type Dispatcher } from 'undici';
import type { ErrorClass } from '../metrics/step-metrics.js';
import type { HttpStep, TemplateContext } from '../scenario/types.js';

export interface HttpClientOptions {
  /** 'per-user': one keep-alive connection per user; a number: a shared pool. */
  connections: number | 'per-user';
  /** Hard timeout per request in ms; 0 disables it. */
  requestTimeoutMs: number;
}

/** A user's connection, when users do not share a pool. */
export interface ConnectionHolder {
  connection?: Dispatcher;
}

// Large enough for any API response chatload reads, small enough that a runaway body
// cannot exhaust the generator's memory; past it the request is aborted.
const MAX_BODY_BYTES = 64 * 1024 * 1024;

// Users think for seconds between requests; keep their connections open meanwhile, as a
// browser would, unless the server's Keep-Alive hint says otherwise.
const KEEP_ALIVE_MS = 60_000;

export class HttpClient {
  readonly #origin: string;
  readonly #timeoutMs: number;
  readonly #pool: Pool | undefined;
  readonly #userConnections = new Set<Client>();

  constructor(target: string, options: HttpClientOptions) {
    this.#origin = new URL(target).origin;
    this.#timeoutMs = options.requestTimeoutMs;
    if (options.connections !== 'per-user') {
      this.#pool = new Pool(this.#origin, {
        connections: options.connections,
        keepAliveTimeout: KEEP_ALIVE_MS,
        pipelining: 1,
      });
    }
  }

  /** Sends the step; resolves when the body is fully read. */
  send(step: HttpStep, ctx: TemplateContext & ConnectionHolder): Promise<ErrorClass | undefined> {
    // Limitation: the hard timeout is undici's, measured while waiting for the headers and
    // then between body chunks; time spent queued for a free pool connection is not bounded
    // by it (such a request shows up as stalled instead, so it is not lost).
    const timeoutMs = step.timeoutMs ?? this.#timeoutMs;
    let options: Dispatcher.DispatchOptions;
    try {
      options = {
        path: step.path.render(ctx),
        method: step.method,
        headers: renderHeaders(step, ctx),
        body: renderBody(step, ctx),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      };
    } catch {
      return Promise.resolve('other');
    }

    return new Promise((resolve) => {
      const handler = new ResponseHandler(step, ctx, resolve);
      try {
        this.#dispatcherFor(ctx).dispatch(options, handler);
      } catch (error) {
        resolve(classifyError(error));
      }
    });
  }

  /** Closes a user's own connection when the user stops (a ramp-down, the end). */
  release(holder: ConnectionHolder): void {
    const connection = holder.connection as Client | undefined;
    if (connection === undefined) return;
    holder.connection = undefined;
    this.#userConnections.delete(connection);
    connection.close().catch(() => undefined);
  }

  /** Ends every connection at once, failing the requests still on them. */
  async destroy(): Promise<void> {
    const all: Promise<void>[] = [...this.#userConnections].map((c) => c.destroy());
    if (this.#pool !== undefined) all.push(this.#pool.destroy());
    this.#userConnections.clear();
    await Promise.allSettled(all);
  }

  #dispatcherFor(holder: ConnectionHolder): Dispatcher {
    if (this.#pool !== undefined) return this.#pool;
    if (holder.connection === undefined) {
      const connection = new Client(this.#origin, {
        keepAliveTimeout: KEEP_ALIVE_MS,
        pipelining: 1,
      });
      this.#userConnections.add(connection);
      holder.connection = connection;
    }
    return holder.connection;
  }
}

/** undici's handler interface: called as the response arrives, on the socket's tick. */
class ResponseHandler implements Dispatcher.DispatchHandler {
  readonly #step: HttpStep;
  readonly #ctx: TemplateContext;
  readonly #resolve: (outcome: ErrorClass | undefined) => void;
  readonly #readsBody: boolean;
  #abort: ((error?: Error) => void) | undefined;
  #status = 0;
  #rawHeaders: Buffer[] | undefined;
  #chunks: Buffer[] | undefined;
  #bytes = 0;
  #settled = false;

  constructor(
    step: HttpStep,
    ctx: TemplateContext,
    resolve: (outcome: ErrorClass | undefined) => void,
  ) {
    this.#step = step;
    this.#ctx = ctx;
    this.#resolve = resolve;
    this.#readsBody = step.capture.length > 0 || step.expectJson.length > 0;
  }

  onConnect(abort: (error?: Error) => void): void {
    this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    // 1xx responses are interim; the real status follows.
    if (statusCode < 200) return true;
    this.#status = statusCode;
    if (this.#readsBody && checkStatus(this.#step, statusCode) === undefined) {
      this.#rawHeaders = rawHeaders;
      this.#chunks = [];
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#bytes += chunk.length;
    if (this.#bytes > MAX_BODY_BYTES) {
      this.#abort?.(new Error(`response body over ${MAX_BODY_BYTES} bytes`));
      return false;
    }
    this.#chunks?.push(chunk);
    return true;
  }

  onComplete(): void {
    const statusError = checkStatus(this.#step, this.#status);
    if (statusError !== undefined || this.#chunks === undefined) return this.#settle(statusError);
    this.#settle(this.#checkBody());
  }

  onError(error: Error): void {
    this.#settle(classifyError(error));
  }

  #checkBody(): ErrorClass | undefined {
    let json: unknown;
    try {
      const text = Buffer.concat(this.#chunks!).toString('utf8');
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      return 'expectation';
    }
    return applyJsonChecks(this.#step, this.#ctx, json, this.#rawHeaders ?? []);
  }

  #settle(outcome: ErrorClass | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve(outcome);
  }
}

function renderHeaders(step: HttpStep, ctx: TemplateContext): Record<string, string> | undefined {
  if (step.headers.length === 0 && step.json === undefined) return undefined;
  const headers: Record<string, string> = {};
  if (step.json !== undefined) headers['content-type'] = 'application/json';
  for (const header of step.headers) headers[header.name] = header.value.render(ctx);
  return headers;
}

function renderBody(step: HttpStep, ctx: TemplateContext): string | undefined {
  if (step.json !== undefined) {
    const value = step.json.kind === 'static' ? step.json.value : step.json.render(ctx);
    return JSON.stringify(value);
  }
  return step.body?.render(ctx);
}

function checkStatus(step: HttpStep, status: number): ErrorClass | undefined {
  if (step.expectStatus.length > 0) {
    if (step.expectStatus.includes(status)) return undefined;
    return statusClass(status) ?? 'expectation';
  }
  return statusClass(status);
}

function statusClass(status: number): ErrorClass | undefined {
  if (status >= 500) return 'http5xx';
  if (status >= 400) return 'http4xx';
  return undefined;
}

function applyJsonChecks(
  step: HttpStep,
  ctx: TemplateContext,
  json: unknown,
  rawHeaders: Buffer[],
): ErrorClass | undefined {
  for (const expectation of step.expectJson) {
    const value = readPath(json, expectation.path);
    if (expectation.exists !== undefined) {
      if ((value !== undefined) !== expectation.exists) return 'expectation';
    } else if (!deepEqual(value, expectation.equals)) {
      return 'expectation';
    }
  }

  for (const { variable, source } of step.capture) {
    const value =
      source.from === 'json' ? readPath(json, source.path) : headerValue(rawHeaders, source.name);
    if (value === undefined) return 'expectation';
    ctx.vars[variable] = value;
  }
  return undefined;
}

/** A response header's value from undici's raw [name, value, name, value, …] list. */
function headerValue(rawHeaders: Buffer[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toString('latin1').toLowerCase() === wanted) {
      return rawHeaders[i + 1].toString('utf8');
    }
  }
  return undefined;
}

export function readPath(value: unknown, path: readonly (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** Structural equality of JSON values (key order does not matter). */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((key) => deepEqual((a as Record<string, unknown>)[key], bRecord[key]));
}

/** Maps a client-side failure to the error classes of the report. */
export function classifyError(error: unknown): ErrorClass {
  const code = (error as { code?: string } | null)?.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EADDRNOTAVAIL':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connect';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return 'reset';
    default:
      return 'other';
  }
}
