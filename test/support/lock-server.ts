// A ground-truth server for the scalability fit: every request needs `parallelMs` of work
// that runs alongside other requests, and `serialMs` under one global lock that stops the
// world while held (as an interpreter lock or a stop-the-world pause does): parallel work
// makes no progress while any request holds the lock.
//
// Why stop-the-world: with N requests cycling, one cycle then takes P + N·S (all the locked
// time plus the overlapped parallel time), so X(N) = N / (P + N·S) = λN / (1 + σ(N−1)) with
// λ = 1/(P+S) and σ = S/(P+S): Amdahl's law, the USL with κ = 0, exactly. (A plain mutex,
// under which parallel work goes on, gives X = min(N/(P+S), 1/S), a sharp knee that the
// smooth USL only approximates, trading σ against κ.)
//
// With `coherencyMs` C, each hold also lasts C per other request in the server (the cost of
// agreeing with each of them), so a cycle takes P + N·S + N(N−1)·C: κ = C/(P+S).

import { performance } from 'node:perf_hooks';
import { listen, respond, sleep } from './pool-server.js';

export interface LockServer {
  url: string;
  /** Measured lock hold times, ms. */
  holdsMs: number[];
  close(): Promise<void>;
}

export async function startLockServer(options: {
  serialMs: number;
  parallelMs: number;
  coherencyMs?: number;
}): Promise<LockServer> {
  const holdsMs: number[] = [];
  let inServer = 0;
  let stoppedMs = 0;
  let holdStartedAt: number | undefined;
  let lockTail: Promise<void> = Promise.resolve();
  const stoppedNow = () =>
    stoppedMs + (holdStartedAt === undefined ? 0 : performance.now() - holdStartedAt);

  // Sleeps until `parallelMs` of unstopped time has passed, re-arming after each stop.
  const parallelWork = async () => {
    const startedAt = performance.now();
    const stoppedAtStart = stoppedNow();
    for (;;) {
      const progressMs = performance.now() - startedAt - (stoppedNow() - stoppedAtStart);
      const remainingMs = options.parallelMs - progressMs;
      if (remainingMs <= 0.5) return;
      await sleep(remainingMs);
    }
  };

  const lockedWork = () => {
    const turn = lockTail.then(async () => {
      holdStartedAt = performance.now();
      await sleep(options.serialMs + (options.coherencyMs ?? 0) * (inServer - 1));
      const heldMs = performance.now() - holdStartedAt;
      holdsMs.push(heldMs);
      stoppedMs += heldMs;
      holdStartedAt = undefined;
    });
    lockTail = turn;
    return turn;
  };

  const server = await listen(async (response) => {
    inServer++;
    await parallelWork();
    await lockedWork();
    inServer--;
    respond(response);
  });
  return { ...server, holdsMs };
}
