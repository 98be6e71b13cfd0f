// Faults the server can be told to have, so that users (and chatload's own tests) can see
// what chatload reports for each. They act for real: a stalled request is never answered,
// a freeze blocks the whole process, a deadlock is two requests each holding the lock the
// other one waits for.

import { performance } from 'node:perf_hooks';
import { parseFaultSpec, type FaultSpec } from './fault-spec.js';
import { AsyncMutex, Semaphore, sleep } from './locks.js';

/**
 * Picks exactly ⌊n × fraction⌋ of n calls, evenly spread, so that a test can predict the
 * count; a random pick would need a tolerance and hide off-by-one bugs.
 */
class EvenPick {
  readonly fraction: number;
  #credit = 0;

  constructor(fraction: number) {
    this.fraction = fraction;
  }

  next(): boolean {
    this.#credit += this.fraction;
    if (this.#credit < 1 - 1e-9) return false;
    this.#credit -= 1;
    return true;
  }
}

export interface FaultCounters {
  /** Requests that the stall fault will never answer. */
  stalled: number;
  /** Requests waiting for a deadlock lock right now. */
  lockWaiting: number;
  /** Requests waiting for a pool connection right now. */
  poolWaiting: number;
  freezes: number;
}

interface Deadlock {
  holdMs: number;
  /** Per route, its two locks in the order it takes them. */
  order: Map<string, [AsyncMutex, AsyncMutex]>;
}

export class Faults {
  readonly counters: FaultCounters = { stalled: 0, lockWaiting: 0, poolWaiting: 0, freezes: 0 };
  readonly #routes: readonly string[];
  readonly #log: (line: string) => void;
  #texts: string[] = [];
  #latency = new Map<string, { minMs: number; maxMs: number }>();
  #stall = new Map<string, EvenPick>();
  #deadlocks: Deadlock[] = [];
  #pool: { semaphore: Semaphore; holdMs: number } | undefined;
  #dropFraction: number | undefined;
  // One pick per connection, so that each client loses its share (a single pick over all
  // connections would always hit the same one in a fan-out of fixed size).
  #dropPicks = new WeakMap<object, EvenPick>();
  #freezeTimer: NodeJS.Timeout | undefined;

  constructor(routes: readonly string[], log: (line: string) => void) {
    this.#routes = routes;
    this.#log = log;
  }

  get specs(): readonly string[] {
    return this.#texts;
  }

  /** Replaces every fault; nothing changes if any spec is bad (it throws FaultSpecError). */
  set(texts: readonly string[]): void {
    const specs = texts.map((text) => parseFaultSpec(text, this.#routes));
    this.stop();
    this.#texts = [...texts];
    this.#latency = new Map();
    this.#stall = new Map();
    this.#deadlocks = [];
    this.#pool = undefined;
    this.#dropFraction = undefined;
    this.#dropPicks = new WeakMap();
    for (const spec of specs) this.#install(spec);
    this.#log(`faults: ${texts.length === 0 ? 'none' : texts.join('; ')}`);
  }

  #install(spec: FaultSpec): void {
    switch (spec.kind) {
      case 'latency':
        return void this.#latency.set(spec.route, spec);
      case 'stall':
        return void this.#stall.set(spec.route, new EvenPick(spec.fraction));
      case 'freeze':
        this.#freezeTimer = setInterval(() => this.#freeze(spec.forMs), spec.everyMs);
        this.#freezeTimer.unref();
        return;
      case 'deadlock': {
        // Both routes take the same two locks, in opposite orders.
        const [first, second] = [new AsyncMutex('channels'), new AsyncMutex('posts')];
        const order = new Map<string, [AsyncMutex, AsyncMutex]>([
          [spec.routes[0], [first, second]],
          [spec.routes[1], [second, first]],
        ]);
        this.#deadlocks.push({ holdMs: spec.holdMs, order });
        return;
      }
      case 'pool':
        this.#pool = { semaphore: new Semaphore(spec.size), holdMs: spec.holdMs };
        return;
      case 'drop-events':
        this.#dropFraction = spec.fraction;
    }
  }

  /** Runs a request's handler under the faults that apply to its route. */
  async around<T>(route: string, usesStore: boolean, handler: () => Promise<T>): Promise<T> {
    const latency = this.#latency.get(route);
    if (latency !== undefined) {
      await sleep(latency.minMs + Math.random() * (latency.maxMs - latency.minMs));
    }
    if (this.#stall.get(route)?.next()) {
      this.counters.stalled++;
      return new Promise<T>(() => {}); // never settles: the client waits forever
    }
    let run = handler;
    for (const deadlock of this.#deadlocks) {
      const locks = deadlock.order.get(route);
      if (locks !== undefined) run = this.#underLocks(locks, deadlock.holdMs, run);
    }
    const pool = this.#pool;
    return usesStore && pool !== undefined ? this.#inPool(pool, run) : run();
  }

  /** Whether to drop the next event to this connection. */
  dropEvent(connection: object): boolean {
    if (this.#dropFraction === undefined) return false;
    let pick = this.#dropPicks.get(connection);
    if (pick === undefined)
      this.#dropPicks.set(connection, (pick = new EvenPick(this.#dropFraction)));
    return pick.next();
  }

  stop(): void {
    clearInterval(this.#freezeTimer);
    this.#freezeTimer = undefined;
  }

  #underLocks<T>(locks: [AsyncMutex, AsyncMutex], holdMs: number, run: () => Promise<T>) {
    return async (): Promise<T> => {
      // The pause between the two locks is the window in which the other route takes its
      // first lock; under concurrent load both then wait for each other forever.
      await this.#waitFor(locks[0]);
      await sleep(holdMs);
      await this.#waitFor(locks[1]);
      try {
        return await run();
      } finally {
        locks[1].release();
        locks[0].release();
      }
    };
  }

  async #waitFor(lock: AsyncMutex): Promise<void> {
    this.counters.lockWaiting++;
    await lock.acquire();
    this.counters.lockWaiting--;
  }

  async #inPool<T>(pool: { semaphore: Semaphore; holdMs: number }, run: () => Promise<T>) {
    this.counters.poolWaiting++;
    await pool.semaphore.acquire();
    this.counters.poolWaiting--;
    try {
      // The hold stands for the time a query keeps its connection.
      await sleep(pool.holdMs);
      return await run();
    } finally {
      pool.semaphore.release();
    }
  }

  #freeze(forMs: number): void {
    // A busy loop, not a sleep: the whole process stops, as in a long GC pause.
    this.counters.freezes++;
    const end = performance.now() + forMs;
    while (performance.now() < end) {
      // spin
    }
  }
}
