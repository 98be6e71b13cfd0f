// The per-second timeline: what happened in each interval of the run. Each point is
// handed to listeners (the live line, the NDJSON writer) as soon as its second ends.

import { createHistogram, encodeHistogram, percentileMs } from './histogram.js';
import type { InFlightTracker } from './inflight.js';
import type { StepMetrics } from './step-metrics.js';
import type { DeliveryTracker } from './delivery.js';

export interface StepInterval {
  count: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
}

export interface TimelinePoint {
  /** Seconds since the run started, at the end of the interval. */
  t: number;
  /** Length of the interval in seconds (the last one is usually shorter). */
  seconds: number;
  users: number;
  /** Users (closed) or iterations per second (open) the stages asked for. */
  target: number;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  inFlight: number;
  stalledNow: number;
  stalledTotal: number;
  dropped: number;
  /** Ms of the freeze under way at the end of the interval, 0 when none. */
  freezeMs: number;
  /** The generator's own health: CPU use (1 = one core) and event-loop delay p99, ms. */
  cpu: number;
  loopDelayP99: number;
  steps: Record<string, StepInterval>;
  /**
   * The interval's latency histogram over all steps, encoded as in the result document,
   * so that the timelines of several workers or shards merge exactly, second by second.
   */
  hist?: string;
  /** Chat scenarios: deliveries received in the interval, their latency, and losses. */
  delivery?: {
    received: number;
    p50: number;
    p99: number;
    lost: number;
    sockets: number;
    /** The interval's delivery latency histogram, encoded. */
    hist?: string;
  };
}

/** What the timeline reads from the run. */
export interface TimelineSource {
  readonly startedAt: number;
  readonly steps: ReadonlyMap<string, StepMetrics>;
  readonly tracker: InFlightTracker;
  readonly activeUsers: number;
  readonly targetLoad: number;
  readonly eventLoopDelay: { percentile(p: number): number; reset(): void };
  readonly chatRuntime?: { delivery: DeliveryTracker; openSockets: number };
}

export class Timeline {
  readonly points: TimelinePoint[] = [];
  /** Encoded interval histograms of the last point, per step (for the NDJSON file). */
  lastEncoded: Record<string, string> = {};

  readonly #source: TimelineSource;
  readonly #overall = createHistogram();
  #intervalStart: number;
  #cpuStart = process.cpuUsage();
  #dropped = 0;

  constructor(source: TimelineSource) {
    this.#source = source;
    this.#intervalStart = source.startedAt;
  }

  noteDropped(): void {
    this.#dropped++;
  }

  /** Ends the current interval at `now`: folds step data into the totals. */
  close(now: number): TimelinePoint {
    const source = this.#source;
    const seconds = Math.max((now - this.#intervalStart) / 1000, 1e-3);
    this.#overall.reset();
    this.lastEncoded = {};

    let requests = 0;
    let errors = 0;
    const steps: Record<string, StepInterval> = {};
    for (const [name, step] of source.steps) {
      const interval = step.intervalLatency;
      requests += step.intervalCompleted;
      errors += step.intervalErrors;
      if (step.intervalCompleted > 0) {
        this.#overall.add(interval);
        this.lastEncoded[name] = encodeHistogram(interval);
        steps[name] = {
          count: step.intervalCompleted,
          errors: step.intervalErrors,
          p50: percentileMs(interval, 50),
          p99: percentileMs(interval, 99),
          max: percentileMs(interval, 100),
        };
      }
      step.fold();
    }

    const cpu = process.cpuUsage(this.#cpuStart);
    this.#cpuStart = process.cpuUsage();
    const point: TimelinePoint = {
      t: round3((now - source.startedAt) / 1000),
      seconds: round3(seconds),
      users: source.activeUsers,
      target: round3(source.targetLoad),
      requests,
      errors,
      rps: round3(requests / seconds),
      p50: percentileMs(this.#overall, 50),
      p90: percentileMs(this.#overall, 90),
      p99: percentileMs(this.#overall, 99),
      max: percentileMs(this.#overall, 100),
      inFlight: source.tracker.inFlight,
      stalledNow: source.tracker.stalledNow,
      stalledTotal: totalStalls(source.steps),
      dropped: this.#dropped,
      freezeMs: Math.round(source.tracker.currentFreezeMs(now)),
      cpu: round3((cpu.user + cpu.system) / 1e6 / seconds),
      loopDelayP99: round3(source.eventLoopDelay.percentile(99) / 1e6),
      steps,
      hist: encodeHistogram(this.#overall),
    };
    const chat = source.chatRuntime;
    if (chat !== undefined) {
      const delivery = chat.delivery;
      point.delivery = {
        received: delivery.intervalLatency.totalCount,
        p50: percentileMs(delivery.intervalLatency, 50),
        p99: percentileMs(delivery.intervalLatency, 99),
        lost: delivery.intervalLost,
        sockets: chat.openSockets,
        hist: encodeHistogram(delivery.intervalLatency),
      };
      delivery.fold();
    }
    source.eventLoopDelay.reset();
    this.#dropped = 0;
    this.#intervalStart = now;
    this.points.push(point);
    return point;
  }
}

function totalStalls(steps: ReadonlyMap<string, StepMetrics>): number {
  let total = 0;
  for (const step of steps.values()) total += step.stalls.total;
  return total;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
