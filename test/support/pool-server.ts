// Ground-truth servers for the capacity search: a store-like pool, an async semaphore of
// `poolSize` slots, each request holding one for `holdMs`. With no think time and N users,
// N > poolSize keeps the pool busy and every request waits for about N/poolSize holds, so
// latency ≈ N·H/P: a `p99 < X` SLO breaks near N = X·P/H.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface PoolServer {
  url: string;
  /** Measured hold times, ms (the real H, timer lateness included). */
  holdsMs: number[];
  close(): Promise<void>;
}

export async function startPoolServer(options: {
  poolSize: number;
  holdMs: number;
}): Promise<PoolServer> {
  let free = options.poolSize;
  const waiters: (() => void)[] = [];
  const holdsMs: number[] = [];
  const acquire = () =>
    free > 0 ? (free--, Promise.resolve()) : new Promise<void>((r) => waiters.push(r));
  const release = () => {
    const next = waiters.shift();
    if (next) next();
    else free++;
  };

  const server = await listen(async (response) => {
    await acquire();
    const heldAt = performance.now();
    await sleep(options.holdMs);
    holdsMs.push(performance.now() - heldAt);
    release();
    respond(response);
  });
  return { ...server, holdsMs };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function respond(response: http.ServerResponse): void {
  const text = '{"ok":true}';
  response.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

export async function listen(
  handle: (response: http.ServerResponse) => Promise<void>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    request.resume();
    void handle(response);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
