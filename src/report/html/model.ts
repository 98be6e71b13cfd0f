// What the report's charts draw, taken from result documents: one columnar series per
// metric and run (the shape uPlot takes), seconds since each run's own start on the x axis,
// so that two runs line up from their starts whatever their wall-clock times were.

import type { TimelinePoint } from '../../metrics/timeline.js';
import type { ResultDocument } from '../result.js';

/** A number, or null where the interval had nothing to measure (drawn as a gap). */
export type Sample = number | null;

/** Delivery numbers of chat scenarios, per interval, when the timeline carries them. */
export interface DeliveryInterval {
  p99: number;
  lost: number;
}

export type ReportPoint = Omit<TimelinePoint, 'delivery'> & { delivery?: DeliveryInterval };

export interface StepSeries {
  name: string;
  p50: Sample[];
  p99: Sample[];
  max: Sample[];
}

export interface FreezeSpan {
  startSec: number;
  endSec: number;
  requestsHeld: number;
}

export interface RunSeries {
  /** "A" for the base run, "B" for the one laid over it. */
  tag: string;
  label: string;
  t: number[];
  rps: Sample[];
  users: Sample[];
  target: Sample[];
  p50: Sample[];
  p90: Sample[];
  p99: Sample[];
  max: Sample[];
  inFlight: Sample[];
  stalledNow: Sample[];
  errors: Sample[];
  dropped: Sample[];
  cpu: Sample[];
  loopDelayP99: Sample[];
  steps: StepSeries[];
  freezes: FreezeSpan[];
  delivery: { p99: Sample[]; lost: Sample[] } | null;
  /** The load model, to label the target series (users or iterations per second). */
  model: 'closed' | 'open';
}

export interface ReportModel {
  runs: RunSeries[];
}

export const RUN_TAGS = ['A', 'B'];

export function buildModel(results: ResultDocument[]): ReportModel {
  return { runs: results.map((result, i) => runSeries(result, RUN_TAGS[i])) };
}

function runSeries(result: ResultDocument, tag: string): RunSeries {
  const points = result.timeline as ReportPoint[];
  const column = (pick: (point: ReportPoint) => number) => points.map(pick);
  // A latency of an interval in which nothing completed is not 0 ms: it does not exist.
  const latency = (pick: (point: ReportPoint) => number) =>
    points.map((point) => (point.requests > 0 ? pick(point) : null));

  return {
    tag,
    label: `${tag}: ${result.scenario.name}, ${result.run.startedAt}`,
    t: column((point) => point.t),
    rps: column((point) => point.rps),
    users: column((point) => point.users),
    target: column((point) => point.target),
    p50: latency((point) => point.p50),
    p90: latency((point) => point.p90),
    p99: latency((point) => point.p99),
    max: latency((point) => point.max),
    inFlight: column((point) => point.inFlight),
    stalledNow: column((point) => point.stalledNow),
    errors: column((point) => point.errors),
    dropped: column((point) => point.dropped),
    cpu: column((point) => point.cpu),
    loopDelayP99: column((point) => point.loopDelayP99),
    steps: result.steps.map((step) => stepSeries(step.name, points)),
    freezes: result.freezes.map((freeze) => ({
      startSec: freeze.startMs / 1000,
      endSec: (freeze.startMs + freeze.lengthMs) / 1000,
      requestsHeld: freeze.requestsHeld,
    })),
    delivery: deliverySeries(points),
    model: result.config.load !== null && isOpen(result.config.load) ? 'open' : 'closed',
  };
}

function stepSeries(name: string, points: ReportPoint[]): StepSeries {
  const pick = (key: 'p50' | 'p99' | 'max') =>
    points.map((point) => point.steps[name]?.[key] ?? null);
  return { name, p50: pick('p50'), p99: pick('p99'), max: pick('max') };
}

function deliverySeries(points: ReportPoint[]): RunSeries['delivery'] {
  if (!points.some((point) => point.delivery !== undefined)) return null;
  return {
    p99: points.map((point) => point.delivery?.p99 ?? null),
    lost: points.map((point) => point.delivery?.lost ?? null),
  };
}

function isOpen(load: unknown): boolean {
  return (load as { model?: unknown }).model === 'open';
}
