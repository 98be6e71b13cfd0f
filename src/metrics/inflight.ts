// Tracks every request in flight, so that none that hangs can be lost.
//
// Stalls: a request in flight longer than `stallMs` is stalled. `scan` runs a few times a
// second; because requests enter `#active` in the order they were sent (Map keeps
// insertion order), it only looks at the oldest ones and stops at the first young one.
//
// Freezes: a period in which requests were in flight and none completed for longer than
// `stallMs`. It is detected from completion times alone (O(1) per request): when a
// request completes, the gap since the previous completion, or since the moment the
// generator went from idle to busy if that is later, is the length of the silence.

import type { StepMetrics } from './step-metrics.js';

export interface InFlightRequest {
  step: StepMetrics;
  userIndex: number;
  /** Monotonic ms when the request was handed to the HTTP client. */
  sentAt: number;
  stalled: boolean;
  /** Index into the stall list once stalled, else -1. */
  stallIndex: number;
}

export type StallOutcome = 'in-flight' | 'recovered' | 'timed-out' | 'never-completed';

export interface StallRecord {
  step: string;
  userIndex: number;
  /** Ms since the run started, when the request was sent. */
  startMs: number;
  /** How long it was in flight: until it ended, or until the report if it never did. */
  ageMs: number;
  outcome: StallOutcome;
}

export interface Freeze {
  /** Ms since the run started. */
  startMs: number;
  lengthMs: number;
  /** The most requests that were in flight, unanswered, during the freeze. */
  requestsHeld: number;
}

/** Stall records kept in full; beyond this only the counts grow (memory stays bounded). */
export const STALL_LIST_LIMIT = 10_000;

export class InFlightTracker {
  readonly stallMs: number;
  readonly runStartAt: number;
  readonly stallList: StallRecord[] = [];
  stallsNotListed = 0;
  readonly freezes: Freeze[] = [];

  #active = new Map<number, InFlightRequest>();
  #stalled = new Map<number, InFlightRequest>();
  #nextId = 0;
  #count = 0;
  #busySince = 0;
  #lastCompletionAt = 0;
  #peakSinceCompletion = 0;

  constructor(stallMs: number, runStartAt: number) {
    this.stallMs = stallMs;
    this.runStartAt = runStartAt;
    this.#lastCompletionAt = runStartAt;
  }

  get inFlight(): number {
    return this.#count;
  }

  get stalledNow(): number {
    return this.#stalled.size;
  }

  begin(step: StepMetrics, userIndex: number, sentAt: number): number {
    const id = this.#nextId++;
    this.#active.set(id, { step, userIndex, sentAt, stalled: false, stallIndex: -1 });
    step.count++;
    if (this.#count === 0) this.#busySince = sentAt;
    this.#count++;
    if (this.#count > this.#peakSinceCompletion) this.#peakSinceCompletion = this.#count;
    return id;
  }

  /**
   * Ends a request; `timedOut` says the hard timeout, not the server, ended it. Returns
   * false for a request the books were already closed on (it ended after the grace
   * period and was counted as never completed), which must then not be recorded again.
   */
  end(id: number, endedAt: number, timedOut: boolean): boolean {
    const outcome = timedOut ? 'timed-out' : 'recovered';
    let request = this.#active.get(id);
    if (request !== undefined) {
      this.#active.delete(id);
      // The periodic scan may not have seen it yet: the count must not depend on timing.
      if (endedAt - request.sentAt > this.stallMs) {
        this.#openStall(request);
        this.#closeStall(request, endedAt, outcome);
      }
    } else {
      request = this.#stalled.get(id);
      if (request === undefined) return false;
      this.#stalled.delete(id);
      this.#closeStall(request, endedAt, outcome);
    }

    this.#noteCompletion(endedAt);
    this.#count--;
    return true;
  }

  /** Marks requests that have been in flight longer than the stall limit. */
  scan(now: number): void {
    for (const [id, request] of this.#active) {
      if (now - request.sentAt <= this.stallMs) break;
      this.#active.delete(id);
      this.#stalled.set(id, request);
      this.#openStall(request);
    }
  }

  /** The silence under way now, in ms, if it is already longer than the stall limit. */
  currentFreezeMs(now: number): number {
    if (this.#count === 0) return 0;
    const silentMs = now - Math.max(this.#lastCompletionAt, this.#busySince);
    return silentMs > this.stallMs ? silentMs : 0;
  }

  /**
   * Called once, after the grace period: every request still in flight is stalled and
   * never completed. Returns how many there were.
   */
  finish(now: number): number {
    this.scan(Number.POSITIVE_INFINITY);
    const freezeMs = this.currentFreezeMs(now);
    if (freezeMs > 0) this.#recordFreeze(now - freezeMs, freezeMs);

    const unanswered = this.#stalled.size;
    for (const request of this.#stalled.values()) {
      this.#closeStall(request, now, 'never-completed');
    }
    this.#stalled.clear();
    this.#count = 0;
    return unanswered;
  }

  /** Ages of the stall records that are still open, brought up to `now`. */
  refreshAges(now: number): void {
    for (const request of this.#stalled.values()) {
      if (request.stallIndex >= 0) {
        this.stallList[request.stallIndex].ageMs = now - request.sentAt;
      }
    }
  }

  #openStall(request: InFlightRequest): void {
    request.stalled = true;
    request.step.stalls.total++;
    if (this.stallList.length >= STALL_LIST_LIMIT) {
      this.stallsNotListed++;
      return;
    }
    request.stallIndex = this.stallList.length;
    this.stallList.push({
      step: request.step.name,
      userIndex: request.userIndex,
      startMs: request.sentAt - this.runStartAt,
      ageMs: 0,
      outcome: 'in-flight',
    });
  }

  #closeStall(request: InFlightRequest, endedAt: number, outcome: StallOutcome): void {
    const stalls = request.step.stalls;
    if (outcome === 'recovered') stalls.recovered++;
    else if (outcome === 'timed-out') stalls.timedOut++;
    else stalls.neverCompleted++;

    if (request.stallIndex >= 0) {
      const record = this.stallList[request.stallIndex];
      record.ageMs = endedAt - request.sentAt;
      record.outcome = outcome;
    }
  }

  #noteCompletion(endedAt: number): void {
    const silenceStart = Math.max(this.#lastCompletionAt, this.#busySince);
    const silentMs = endedAt - silenceStart;
    if (silentMs > this.stallMs) this.#recordFreeze(silenceStart, silentMs);
    this.#lastCompletionAt = endedAt;
    this.#peakSinceCompletion = this.#count - 1;
  }

  #recordFreeze(startAt: number, lengthMs: number): void {
    this.freezes.push({
      startMs: startAt - this.runStartAt,
      lengthMs,
      requestsHeld: this.#peakSinceCompletion,
    });
  }
}
