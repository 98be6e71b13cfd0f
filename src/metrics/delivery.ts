// Delivery of chat messages: for every post a user sends, which of the channel's connected
// members received the `posted` event, and how long it took.
//
// A post is registered before it is sent, under the `pending_post_id` the client puts in
// it (the server echoes that id in the event), because the event can reach other members
// before the sender has its own HTTP response. Recipients are the members whose socket was
// up when the post was sent. A delivery not seen within `windowMs` is lost; one seen twice
// is a duplicate. Recipients are kept as a bitmap over user indexes, so a post to a channel
// of 5,000 members costs 625 bytes while it is in flight.

import { createHistogram, recordMs, type Histogram } from './histogram.js';

interface PendingPost {
  sentAt: number;
  /** Bit i set: user i is expected to receive the event and has not yet. */
  waiting: Uint8Array;
  /** Bit i set: user i was expected (to tell a duplicate from a stranger's delivery). */
  expected: Uint8Array;
  outstanding: number;
  /** Set when the post leaves the pending list (all delivered, or its window ran out). */
  closedAt?: number;
}

export interface DeliveryCounts {
  posts: number;
  expected: number;
  received: number;
  lost: number;
  /** Deliveries that arrived after their window (they are also counted as lost). */
  late: number;
  duplicates: number;
  /** Events missing according to the per-connection `seq` numbers. */
  seqGaps: number;
  reconnects: number;
  disconnects: number;
  /** Total time sockets were down before they came back (or until the end), ms. */
  deafMs: number;
}

export class DeliveryTracker {
  readonly windowMs: number;
  readonly counts: DeliveryCounts = {
    posts: 0,
    expected: 0,
    received: 0,
    lost: 0,
    late: 0,
    duplicates: 0,
    seqGaps: 0,
    reconnects: 0,
    disconnects: 0,
    deafMs: 0,
  };
  readonly latency: Histogram = createHistogram();
  readonly intervalLatency: Histogram = createHistogram();
  intervalLost = 0;

  readonly #pending = new Map<string, PendingPost>();
  readonly #closed = new Map<string, PendingPost>();
  readonly #judgeLagMs: number;

  /**
   * `judgeLagMs`: how long after its window a post is judged. Deliveries seen by another
   * worker reach this tracker a little later than they happened; the lag lets them in,
   * while their latency (measured where they were seen) still decides if they were late.
   */
  constructor(windowMs: number, judgeLagMs = 0) {
    this.windowMs = windowMs;
    this.#judgeLagMs = judgeLagMs;
  }

  /** Registers a post about to be sent to `recipients` (user indexes with a live socket). */
  expect(pendingId: string, sentAt: number, recipients: Iterable<number>, size: number): void {
    const bytes = Math.ceil(size / 8);
    const post: PendingPost = {
      sentAt,
      waiting: new Uint8Array(bytes),
      expected: new Uint8Array(bytes),
      outstanding: 0,
    };
    for (const index of recipients) {
      const byte = index >> 3;
      const bit = 1 << (index & 7);
      if (byte >= bytes || post.expected[byte] & bit) continue;
      post.expected[byte] |= bit;
      post.waiting[byte] |= bit;
      post.outstanding++;
    }
    this.counts.posts++;
    this.counts.expected += post.outstanding;
    this.#pending.set(pendingId, post);
  }

  /** The post's send failed: the members still waiting should not expect it. */
  cancel(pendingId: string): void {
    const post = this.#pending.get(pendingId);
    if (post === undefined) return;
    this.#pending.delete(pendingId);
    this.counts.expected -= post.outstanding;
    if (post.outstanding === countBits(post.expected)) this.counts.posts--;
  }

  /** User `index` received the `posted` event for `pendingId` at `now`. */
  received(pendingId: string, index: number, now: number): void {
    const post = this.#pending.get(pendingId) ?? this.#closed.get(pendingId);
    if (post === undefined) return; // another client's post, or one long gone
    this.#accept(pendingId, post, index, now - post.sentAt, now);
  }

  /** The same, seen by another worker, which measured the latency on the shared clock. */
  receivedElsewhere(pendingId: string, index: number, latencyMs: number, now: number): void {
    const post = this.#pending.get(pendingId) ?? this.#closed.get(pendingId);
    if (post === undefined) return;
    this.#accept(pendingId, post, index, latencyMs, now);
  }

  #accept(id: string, post: PendingPost, index: number, latencyMs: number, now: number): void {
    const byte = index >> 3;
    const bit = 1 << (index & 7);
    if (byte >= post.expected.length || !(post.expected[byte] & bit)) return;

    if (!(post.waiting[byte] & bit)) {
      this.counts.duplicates++;
    } else if (post.closedAt !== undefined || latencyMs > this.windowMs) {
      // Arrived after its window: it stays lost (a user would have seen it too late), but
      // is counted as late so that a slow server is told apart from a lossy one. Its
      // bit stays in `outstanding`, which the sweep counts as lost.
      post.waiting[byte] &= ~bit;
      this.counts.late++;
    } else {
      post.waiting[byte] &= ~bit;
      post.outstanding--;
      this.counts.received++;
      recordMs(this.intervalLatency, latencyMs);
      if (post.outstanding === 0) this.#close(id, post, now);
    }
  }

  /** Posts still waiting for some recipient. */
  get pendingPosts(): number {
    return this.#pending.size;
  }

  /** A user left on purpose (a ramp-down): it no longer expects anything. */
  forget(index: number): void {
    const byte = index >> 3;
    const bit = 1 << (index & 7);
    for (const [id, post] of this.#pending) {
      if (byte >= post.waiting.length || !(post.waiting[byte] & bit)) continue;
      post.waiting[byte] &= ~bit;
      post.outstanding--;
      this.counts.expected--;
      if (post.outstanding === 0) this.#close(id, post, performance.now());
    }
  }

  /** Closes the windows that have run out; what is still waiting is lost. */
  sweep(now: number, force = false): void {
    for (const [id, post] of this.#pending) {
      // Map order is send order: the first post still inside its window ends the sweep.
      if (!force && now - post.sentAt < this.windowMs + this.#judgeLagMs) break;
      this.counts.lost += post.outstanding;
      this.intervalLost += post.outstanding;
      this.#close(id, post, now);
    }
    for (const [id, post] of this.#closed) {
      if (!force && now - post.closedAt! < this.windowMs) break;
      this.#closed.delete(id);
    }
  }

  /** Moves the interval's latencies into the total and starts a new interval. */
  fold(): void {
    this.latency.add(this.intervalLatency);
    this.intervalLatency.reset();
    this.intervalLost = 0;
  }

  // A closed post is kept for one more window, so that a late or repeated event for it is
  // recognised rather than ignored.
  #close(id: string, post: PendingPost, now: number): void {
    this.#pending.delete(id);
    post.closedAt = now;
    this.#closed.set(id, post);
  }
}

function countBits(bitmap: Uint8Array): number {
  let count = 0;
  for (let byte of bitmap) {
    while (byte) {
      count += byte & 1;
      byte >>= 1;
    }
  }
  return count;
}
