// Counters and histograms for one named step.
//
// Latency goes into a per-interval histogram only; once a second the interval is folded
// into the run total (see `fold`). That keeps the per-request cost to one record per
// histogram while still giving per-second percentiles for the timeline.

import { createHistogram, recordMs, type Histogram } from './histogram.js';

export const ERROR_CLASSES = [
  'connect',
  'timeout',
  'reset',
  'http4xx',
  'http5xx',
  'expectation',
  'other',
] as const;

export type ErrorClass = (typeof ERROR_CLASSES)[number];

export type ErrorCounts = Record<ErrorClass, number>;

export function emptyErrorCounts(): ErrorCounts {
  return { connect: 0, timeout: 0, reset: 0, http4xx: 0, http5xx: 0, expectation: 0, other: 0 };
}

export function totalErrors(counts: ErrorCounts): number {
  let total = 0;
  for (const errorClass of ERROR_CLASSES) total += counts[errorClass];
  return total;
}

export interface StallCounts {
  /** Every request that was in flight longer than the stall limit. */
  total: number;
  /** Stalled, then answered (its full duration is in the histogram). */
  recovered: number;
  /** Stalled, then ended by the hard request timeout. */
  timedOut: number;
  /** Still unanswered when the run's grace period ended. */
  neverCompleted: number;
}

export class StepMetrics {
  readonly name: string;
  /** Requests sent. */
  count = 0;
  /** Requests that ended, with a response or an error. */
  completed = 0;
  errors: ErrorCounts = emptyErrorCounts();
  stalls: StallCounts = { total: 0, recovered: 0, timedOut: 0, neverCompleted: 0 };

  /** Latency from the intended start (what users of the server feel). */
  readonly latency: Histogram = createHistogram();
  /** Latency from the moment the request was actually handed to the HTTP client. */
  readonly service: Histogram = createHistogram();
  readonly intervalLatency: Histogram = createHistogram();
  readonly intervalService: Histogram = createHistogram();
  intervalCompleted = 0;
  intervalErrors = 0;

  constructor(name: string) {
    this.name = name;
  }

  recordCompletion(latencyMs: number, serviceMs: number, errorClass?: ErrorClass): void {
    this.completed++;
    this.intervalCompleted++;
    recordMs(this.intervalLatency, latencyMs);
    recordMs(this.intervalService, serviceMs);
    if (errorClass !== undefined) {
      this.errors[errorClass]++;
      this.intervalErrors++;
    }
  }

  /** Moves the interval's data into the totals and starts a new interval. */
  fold(): void {
    this.latency.add(this.intervalLatency);
    this.service.add(this.intervalService);
    this.intervalLatency.reset();
    this.intervalService.reset();
    this.intervalCompleted = 0;
    this.intervalErrors = 0;
  }
}
