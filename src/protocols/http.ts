// Sends one HTTP step for one user through an undici keep-alive pool, checks its
// expectations and stores its captures. It never throws: every failure is returned as
// an error class, because under load a failure is data, not an exception.

import { Pool } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { ErrorClass } from '../metrics/step-metrics.js';
import type { HttpStep, TemplateContext } from '../scenario/types.js';

export interface HttpClientOptions {
  connections: number;
  /** Hard timeout per request in ms; 0 disables it. */
  requestTimeoutMs: number;
}

// Large enough for any API response chatload reads, small enough that a runaway body
// cannot exhaust the generator's memory; past it the connection is closed.
const MAX_DRAINED_BYTES = 64 * 1024 * 1024;

export class HttpClient {
  readonly #pool: Pool;
  readonly #timeoutMs: number;

  constructor(target: string, options: HttpClientOptions) {
    this.#timeoutMs = options.requestTimeoutMs;
    this.#pool = new Pool(new URL(target).origin, {
      connections: options.connections,
      // Users think for seconds between requests; keep their connections open meanwhile,
      // as a browser would, unless the server's Keep-Alive hint says otherwise.
      keepAliveTimeout: 60_000,
      pipelining: 1,
    });
  }

  /** Sends the step; resolves when the body is fully read. */
  async send(step: HttpStep, ctx: TemplateContext): Promise<ErrorClass | undefined> {
    // Limitation: the hard timeout is undici's, measured while waiting for the headers and
    // then between body chunks; time spent queued for a free connection is not bounded by
    // it (such a request shows up as stalled instead, so it is not lost).
    const timeoutMs = step.timeoutMs ?? this.#timeoutMs;
    let response;
    try {
      response = await this.#pool.request({
        path: step.path.render(ctx),
        method: step.method,
        headers: renderHeaders(step, ctx),
        body: renderBody(step, ctx),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (error) {
      return classifyError(error);
    }

    const statusError = checkStatus(step, response.statusCode);
    const readsBody = step.capture.length > 0 || step.expectJson.length > 0;
    if (!readsBody || statusError !== undefined) {
      try {
        await response.body.dump({ limit: MAX_DRAINED_BYTES });
      } catch (error) {
        return classifyError(error);
      }
      return statusError;
    }

    let json: unknown;
    try {
      const text = await response.body.text();
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch (error) {
      return error instanceof SyntaxError ? 'expectation' : classifyError(error);
    }
    return applyJsonChecks(step, ctx, json, response.headers);
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  /** Ends every connection at once, failing the requests still on them. */
  async destroy(): Promise<void> {
    await this.#pool.destroy();
  }
}

function renderHeaders(step: HttpStep, ctx: TemplateContext): Record<string, string> {
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
  headers: IncomingHttpHeaders,
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
      source.from === 'json' ? readPath(json, source.path) : headers[source.name.toLowerCase()];
    if (value === undefined) return 'expectation';
    ctx.vars[variable] = value;
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

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
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
