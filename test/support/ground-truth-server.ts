// A local HTTP server whose behaviour each test scripts: how long to wait before answering,
// whether to answer at all. It is the ground truth the engine's numbers are checked against.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface Behaviour {
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (until the server closes). */
  stall?: boolean;
  /** Answer when this promise resolves (after any delay). */
  holdUntil?: Promise<void>;
  status?: number;
  body?: unknown;
}

export interface Served {
  path: string;
  index: number;
  /** performance.now() when the request arrived and when its answer was written. */
  arrivedAt: number;
  answeredAt: number;
}

export interface GroundTruthServer {
  url: string;
  /** Requests received so far, by path. */
  received: Map<string, number>;
  /** Every request answered, with the times the server saw. */
  served: Served[];
  close(): Promise<void>;
}

export async function startServer(
  decide: (path: string, index: number) => Behaviour,
): Promise<GroundTruthServer> {
  const received = new Map<string, number>();
  const served: Served[] = [];
  let nextIndex = 0;

  const server = http.createServer((request, response) => {
    const arrivedAt = performance.now();
    const path = request.url ?? '/';
    const index = nextIndex++;
    received.set(path, (received.get(path) ?? 0) + 1);
    const behaviour = decide(path, index);
    request.resume();

    if (behaviour.stall) return;
    const answer = () => {
      const text = JSON.stringify(behaviour.body ?? { ok: true, path });
      response.writeHead(behaviour.status ?? 200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      response.end(text);
      served.push({ path, index, arrivedAt, answeredAt: performance.now() });
    };
    const afterDelay = () => (behaviour.holdUntil ? behaviour.holdUntil.then(answer) : answer());
    if (behaviour.delayMs) setTimeout(afterDelay, behaviour.delayMs);
    else afterDelay();
  });
  server.keepAliveTimeout = 60_000;

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    served,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
