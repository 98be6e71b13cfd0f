// The bundled Mattermost-compatible chat server: plain node:http with our own router, the
// SQLite store, the WebSocket hub and the faults. Every request gets `X-Request-ID` and
// `X-Version-Id`; every failure the Mattermost error body; no request can crash it.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { TOOL_VERSION } from '../../version.js';
import type { App } from './app.js';
import { isAdmin, tokenOf } from './auth.js';
import { ApiError, errorBody, forbidden, unauthorized } from './errors.js';
import { FaultSpecError } from './fault-spec.js';
import { Faults } from './faults.js';
import { newId } from './ids.js';
import { Router, type Reply, type RequestContext, type Route } from './router.js';
import { addChannelRoutes } from './routes-channels.js';
import { addPostRoutes } from './routes-posts.js';
import { addUserRoutes } from './routes-users.js';
import { Store } from './store.js';
import { Hub } from './websocket.js';

export interface ChatServerOptions {
  /** A SQLite file; in memory when absent. */
  dbFile?: string;
  faults?: readonly string[];
  logRequests?: boolean;
  openSignup?: boolean;
  /** Where lifecycle lines go; stderr by default. */
  log?: (line: string) => void;
}

const MAX_BODY_BYTES = 1024 * 1024;
const SERVER_VERSION = '10.12.0';
const VERSION_ID = `${SERVER_VERSION}.chatload-${TOOL_VERSION}.0.false`;
const PING_ROUTE = 'GET /api/v4/system/ping';
const WEBSOCKET_PATH = /^\/api\/v4\/websocket\/?$/;

export class ChatServer {
  readonly app: App;
  readonly router = new Router();
  readonly faults: Faults;
  readonly http: http.Server;
  readonly #options: ChatServerOptions;
  readonly #log: (line: string) => void;

  /** Throws FaultSpecError for a bad fault spec, before anything listens. */
  constructor(options: ChatServerOptions = {}) {
    this.#options = options;
    this.#log = options.log ?? ((line) => process.stderr.write(`chatload serve: ${line}\n`));
    const store = new Store(options.dbFile ?? ':memory:');
    const settings = { openSignup: options.openSignup ?? false, version: VERSION_ID };
    this.app = { store, hub: new Hub(store, VERSION_ID), settings };

    this.router.add('GET', '/api/v4/system/ping', 'public', () => ({
      status: 200,
      body: { status: 'OK' },
    }));
    addUserRoutes(this.router, this.app);
    addChannelRoutes(this.router, this.app);
    addPostRoutes(this.router, this.app);
    this.#addFaultRoutes();

    this.faults = new Faults(
      this.router.routes.map((route) => route.key),
      this.#log,
    );
    if (options.faults !== undefined && options.faults.length > 0) this.faults.set(options.faults);
    this.app.hub.dropEvent = (connection) => this.faults.dropEvent(connection);

    this.http = http.createServer((request, response) => void this.#serve(request, response));
    this.http.keepAliveTimeout = 65_000;
    this.http.on('upgrade', (request, socket, head) => {
      const path = (request.url ?? '').split('?')[0];
      if (WEBSOCKET_PATH.test(path)) this.app.hub.handleUpgrade(request, socket, head);
      else socket.destroy();
    });
    this.http.on('clientError', (_error, socket) => socket.destroy());
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => resolve());
    });
    const bound = (this.http.address() as AddressInfo).port;
    this.#log(`listening on http://${host}:${bound} (${this.#options.dbFile ?? 'in memory'})`);
    return bound;
  }

  async close(): Promise<void> {
    this.faults.stop();
    this.app.hub.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.app.store.close();
    this.#log('stopped');
  }

  #addFaultRoutes(): void {
    const state = () => ({
      faults: this.faults.specs,
      counters: { ...this.faults.counters, ...this.app.hub.counters },
    });
    this.router.add('GET', '/api/v4/chatload/faults', 'admin', () => ({
      status: 200,
      body: state(),
    }));
    this.router.add('POST', '/api/v4/chatload/disconnect', 'admin', () => {
      const sockets = this.app.hub.disconnectAll();
      this.#log(`disconnected ${sockets} websockets (admin request)`);
      return { status: 200, body: { status: 'OK', disconnected: sockets } };
    });
    this.router.add('PUT', '/api/v4/chatload/faults', 'admin', async (context) => {
      const specs = await context.body();
      if (!Array.isArray(specs) || !specs.every((spec) => typeof spec === 'string')) {
        throw new ApiError(
          400,
          'chatload.faults.invalid.app_error',
          'expected a JSON list of fault specs',
        );
      }
      try {
        this.faults.set(specs);
      } catch (error) {
        if (error instanceof FaultSpecError) {
          throw new ApiError(400, 'chatload.faults.invalid.app_error', error.message);
        }
        throw error;
      }
      return { status: 200, body: state() };
    });
  }

  async #serve(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const requestId = newId();
    response.setHeader('X-Request-ID', requestId);
    response.setHeader('X-Version-Id', VERSION_ID);
    let reply: Reply;
    try {
      reply = await this.#route(request, requestId);
    } catch (error) {
      reply = this.#failure(error, requestId, request);
    }
    send(response, reply);
    if (this.#options.logRequests) {
      const ms = (performance.now() - startedAt).toFixed(1);
      this.#log(`${request.method} ${request.url} ${reply.status} ${ms}ms`);
    }
  }

  async #route(request: http.IncomingMessage, requestId: string): Promise<Reply> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const found = this.router.match(request.method ?? 'GET', url.pathname);
    if (found === null) {
      throw new ApiError(
        404,
        'api.context.404.app_error',
        `no route for ${request.method} ${url.pathname}`,
      );
    }
    const { route, params } = found;
    const context = newContext(request, requestId, params, url.searchParams);
    const usesStore = route.key !== PING_ROUTE;
    return this.faults.around(route.key, usesStore, async () => {
      this.#authenticate(route, context);
      return route.handler(context);
    });
  }

  #authenticate(route: Route, context: RequestContext): void {
    if (route.access === 'public') return;
    if (context.query.has('access_token')) throw unauthorized();
    const token = tokenOf(context.request);
    const user = token === undefined ? undefined : this.app.store.userBySession(token, Date.now());
    if (user === undefined) throw unauthorized();
    if (route.access === 'admin' && !isAdmin(user.roles)) throw forbidden('use this admin route');
    context.user = user;
    context.token = token!;
  }

  #failure(error: unknown, requestId: string, request: http.IncomingMessage): Reply {
    if (error instanceof ApiError)
      return { status: error.status, body: errorBody(error, requestId) };
    // One line per unexpected failure: it is a bug in this server, worth seeing.
    this.#log(
      `internal error on ${request.method} ${request.url}: ${(error as Error).stack ?? error}`,
    );
    const internal = new ApiError(500, 'api.internal_error.app_error', 'internal server error');
    return { status: 500, body: errorBody(internal, requestId) };
  }
}

function newContext(
  request: http.IncomingMessage,
  requestId: string,
  params: Record<string, string>,
  query: URLSearchParams,
): RequestContext {
  let body: Promise<unknown> | undefined;
  return {
    request,
    requestId,
    params,
    query,
    user: undefined as never,
    token: '',
    body: () => (body ??= readJson(request)),
  };
}

function readJson(request: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      const invalid = (message: string) =>
        reject(new ApiError(400, 'api.context.invalid_body_param.app_error', message));
      if (size > MAX_BODY_BYTES)
        return invalid(`request body of ${size} bytes is over the 1 MiB limit`);
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        invalid(`request body is not valid JSON: ${(error as Error).message}`);
      }
    });
  });
}

function send(response: http.ServerResponse, reply: Reply): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(reply.body);
  response.writeHead(reply.status, {
    ...reply.headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}
