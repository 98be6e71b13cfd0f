// What the chat users of several worker threads share, so that delivery stays exact when a
// post is sent in one worker and received in another.
//
// - Who is listening: one bit per user index in a SharedArrayBuffer, set while the user's
//   socket is up. The sender's worker reads it to know which members must get the post.
// - Who received what: a `posted` event seen by a user of another worker is sent back to
//   the worker that sent the post (its number is in the post's `pending_post_id`), with the
//   latency measured on arrival. Sends are batched per turn of the event loop.
// - Post times: `process.hrtime` is one monotonic clock for every thread of a process, so
//   a latency measured in the receiving worker is as exact as one measured by the sender.
//
// One process without workers uses the same bitmap, unshared, and no links.

import type { MessagePort } from 'node:worker_threads';

export interface DeliveryEnds {
  receivedElsewhere(pendingId: string, index: number, latencyMs: number, now: number): void;
  forget(index: number): void;
}

/** The worker-shared part of a chat run, as handed to each worker. */
export interface MeshSetup {
  /** One bit per user index: the socket is up. */
  listening: SharedArrayBuffer;
  /** This worker's number (0-based) and a port to every other worker (undefined: self). */
  worker: number;
  ports: (MessagePort | undefined)[];
}

export function listeningBuffer(users: number, shared: boolean): ArrayBufferLike {
  const bytes = Math.ceil(Math.max(users, 1) / 32) * 4;
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

/** Microseconds on the process-wide monotonic clock. */
export function sharedClockMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

type Batch = (string | number)[];

export class DeliveryMesh {
  readonly worker: number;
  readonly #words: Int32Array;
  readonly #ports: (MessagePort | undefined)[];
  readonly #batches: Batch[];
  #flushScheduled = false;

  constructor(listening: ArrayBufferLike, worker = 0, ports: (MessagePort | undefined)[] = []) {
    this.#words = new Int32Array(listening);
    this.worker = worker;
    this.#ports = ports;
    this.#batches = ports.map(() => []);
  }

  get linked(): boolean {
    return this.#ports.some((port) => port !== undefined);
  }

  setListening(index: number, listening: boolean): void {
    const word = index >> 5;
    if (word >= this.#words.length) return;
    const bit = 1 << (index & 31);
    if (listening) Atomics.or(this.#words, word, bit);
    else Atomics.and(this.#words, word, ~bit);
  }

  isListening(index: number): boolean {
    const word = index >> 5;
    if (word >= this.#words.length) return false;
    return (Atomics.load(this.#words, word) & (1 << (index & 31))) !== 0;
  }

  /** Hands deliveries and departures from other workers to this worker's tracker. */
  listen(ends: DeliveryEnds, now: () => number): void {
    for (const port of this.#ports) {
      port?.on('message', (message: { received?: Batch; forget?: number }) => {
        const at = now();
        const received = message.received;
        if (received !== undefined) {
          for (let i = 0; i < received.length; i += 3) {
            const index = received[i + 1] as number;
            ends.receivedElsewhere(received[i] as string, index, received[i + 2] as number, at);
          }
        }
        if (message.forget !== undefined) ends.forget(message.forget);
      });
    }
  }

  /** A delivery of worker `owner`'s post, seen here. */
  forward(owner: number, pendingId: string, index: number, latencyMs: number): void {
    const batch = this.#batches[owner];
    if (batch === undefined || this.#ports[owner] === undefined) return;
    batch.push(pendingId, index, latencyMs);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  /** A user of this worker left the run: nobody should wait for it any more. */
  forgetEverywhere(index: number): void {
    for (const port of this.#ports) port?.postMessage({ forget: index });
  }

  close(): void {
    this.#flush();
    for (const port of this.#ports) port?.close();
  }

  #flush(): void {
    this.#flushScheduled = false;
    for (let owner = 0; owner < this.#batches.length; owner++) {
      const batch = this.#batches[owner];
      if (batch.length === 0) continue;
      this.#ports[owner]?.postMessage({ received: batch });
      this.#batches[owner] = [];
    }
  }
}
