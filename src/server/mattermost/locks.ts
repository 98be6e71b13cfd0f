// Async mutexes and a counting semaphore: the store's locks and its connection pool. They
// exist so that faults can make requests wait on each other the way a real server's store
// calls do (a deadlock between two locks, a pool smaller than the load).

export class Semaphore {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    this.#free = size;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    // Hand the permit straight to the oldest waiter, so waiting is first come first served.
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#free++;
  }
}

/** A mutex is a semaphore of one; kept as its own name because the code reads better. */
export class AsyncMutex extends Semaphore {
  readonly name: string;

  constructor(name: string) {
    super(1);
    this.name = name;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
