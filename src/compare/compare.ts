// Compares two result documents metric by metric and decides, for each, whether the new
// run regressed beyond its tolerance. The rule, for a metric that got worse:
//
//   1. the change must exceed the tolerance (`--max-regression`);
//   2. it must be real: its 95% confidence interval must not include 0 (latency from the
//      decoded HDR histograms, throughput from the per-second timeline, errors as a
//      proportion; see stats.ts);
//   3. it must matter: latency changes under 1% or under 2 ms are ignored.
//
// Only when all three hold is the verdict `regressed`. The same rule, mirrored, gives
// `improved`. Every verdict carries a one-line reason that says which rule decided.
//
// Limitation: the intervals describe the sampling noise inside each run, not the drift
// between two runs on a busy machine, because a single run cannot measure that drift; the
// tolerance and the minimum effect are what absorb it.

import { UsageError } from '../cli/exit-codes.js';
import { decodeHistogram, mergeHistograms, type Histogram } from '../metrics/histogram.js';
import type { ResultDocument } from '../report/result.js';
import {
  mean,
  meanDifferenceInterval,
  percentileChangeInterval,
  proportionDifferenceInterval,
  type Interval,
} from './stats.js';
import { parseMaxRegression, type Tolerance } from './tolerance.js';
import { describeChange } from './verdict-text.js';

export const MIN_EFFECT_PERCENT = 1;
export const MIN_EFFECT_MS = 2;

export type Verdict = 'regressed' | 'improved' | 'ok';

export interface MetricComparison {
  /** A step name, or `total`. */
  scope: string;
  metric: string;
  unit: 'ms' | '/s' | '%' | 'count';
  base: number;
  next: number;
  delta: number;
  /** Relative change in percent; null when the base is 0. */
  deltaPercent: number | null;
  /** 95% interval of the change: percent for latency and rps, percentage points for errors. */
  interval: Interval | null;
  tolerance: Tolerance;
  verdict: Verdict;
  /** How the verdict was reached, e.g. "p99 +12.4% (CI +8.1%..+16.0%), beyond 10%". */
  reason: string;
}

export interface Comparison {
  base: RunLabel;
  next: RunLabel;
  /** What differs between the two runs' scenarios or configs (compared only with --force). */
  differences: string[];
  tolerances: Tolerance[];
  metrics: MetricComparison[];
  regressed: boolean;
}

export interface RunLabel {
  label: string;
  scenario: string;
  startedAt: string;
}

export interface CompareOptions {
  /** The `--max-regression` text; the default tolerances when absent. */
  maxRegression?: string;
  force?: boolean;
  baseLabel?: string;
  nextLabel?: string;
}

export function compareResults(
  base: ResultDocument,
  next: ResultDocument,
  options: CompareOptions = {},
): Comparison {
  const tolerances = parseMaxRegression(options.maxRegression);
  const baseLabel = options.baseLabel ?? 'base';
  const nextLabel = options.nextLabel ?? 'new';
  const differences = setupDifferences(base, next);
  if (differences.length > 0 && !options.force) {
    throw new UsageError(
      `${baseLabel} and ${nextLabel} are not comparable: ${differences.join('; ')}` +
        ' (pass --force to compare them anyway)',
    );
  }

  const metrics: MetricComparison[] = [];
  for (const scope of scopesOf(base, next)) {
    const pair = { base: sideOf(base, scope), next: sideOf(next, scope) };
    for (const tolerance of tolerances) metrics.push(compareMetric(scope, pair, tolerance));
  }
  return {
    base: labelOf(base, baseLabel),
    next: labelOf(next, nextLabel),
    differences,
    tolerances,
    metrics,
    regressed: metrics.some((m) => m.verdict === 'regressed'),
  };
}

function labelOf(result: ResultDocument, label: string): RunLabel {
  return { label, scenario: result.scenario.name, startedAt: result.run.startedAt };
}

/** Runs are comparable when they ran the same scenario the same way; target and seed may differ. */
export function setupDifferences(base: ResultDocument, next: ResultDocument): string[] {
  const differences: string[] = [];
  const check = (what: string, a: unknown, b: unknown) => {
    const left = JSON.stringify(a);
    const right = JSON.stringify(b);
    if (left !== right)
      differences.push(`${what} differs (base ${clip(left)}, new ${clip(right)})`);
  };
  check('scenario name', base.scenario.name, next.scenario.name);
  check('scenario definition', withoutTarget(base), withoutTarget(next));
  check('load', base.config.load, next.config.load);
  check('connections', base.config.connections, next.config.connections);
  check('timeouts', base.config.timeouts, next.config.timeouts);
  return differences;
}

function withoutTarget(result: ResultDocument): unknown {
  const definition = result.scenario.definition;
  if (definition === null || typeof definition !== 'object') return definition;
  const { target: _target, ...rest } = definition as Record<string, unknown>;
  return rest;
}

function clip(text: string | undefined): string {
  const value = text ?? 'undefined';
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}

/** The steps both runs have, then `total` (only when there is more than one step). */
function scopesOf(base: ResultDocument, next: ResultDocument): string[] {
  const nextNames = new Set(next.steps.map((s) => s.name));
  const shared = base.steps.map((s) => s.name).filter((name) => nextNames.has(name));
  return shared.length > 1 || base.steps.length > 1 ? [...shared, 'total'] : shared;
}

/** One run's numbers for one scope. */
interface Side {
  latency: Histogram;
  rpsPerSecond: number[];
  rps: number;
  completed: number;
  errors: number;
  stalled: number;
}

function sideOf(result: ResultDocument, scope: string): Side {
  const steps = scope === 'total' ? result.steps : result.steps.filter((s) => s.name === scope);
  const histograms = steps.map((s) => decodeHistogram(result.histograms.steps[s.name].latency));
  const sum = (pick: (s: (typeof steps)[number]) => number) =>
    steps.reduce((total, s) => total + pick(s), 0);
  return {
    latency: histograms.length === 1 ? histograms[0] : mergeHistograms(histograms),
    rpsPerSecond: perSecondRates(result, scope),
    rps: sum((s) => s.rps),
    completed: sum((s) => s.completed),
    errors: sum((s) => s.errors),
    stalled: sum((s) => s.stalled),
  };
}

// The first second holds connection set-up and the last one is partial: both are left out
// of the per-second samples when there are enough seconds to spare.
function perSecondRates(result: ResultDocument, scope: string): number[] {
  const full = result.timeline.filter((p) => p.seconds >= 0.5);
  const points = full.length >= 5 ? full.slice(1, -1) : full;
  return points.map((point) => {
    if (scope === 'total') return point.rps;
    return (point.steps[scope]?.count ?? 0) / point.seconds;
  });
}

function compareMetric(
  scope: string,
  pair: { base: Side; next: Side },
  tolerance: Tolerance,
): MetricComparison {
  const metric = tolerance.metric;
  switch (metric.kind) {
    case 'percentile':
    case 'mean':
      return compareLatency(scope, pair, tolerance);
    case 'rps':
      return compareRps(scope, pair, tolerance);
    case 'errors':
      return compareErrors(scope, pair, tolerance);
    case 'stalled':
      return compareStalled(scope, pair, tolerance);
  }
}

function compareLatency(
  scope: string,
  { base, next }: { base: Side; next: Side },
  tolerance: Tolerance,
): MetricComparison {
  const metric = tolerance.metric;
  const read = (h: Histogram) =>
    metric.kind === 'percentile' ? h.getValueAtPercentile(metric.percentile) / 1000 : h.mean / 1000;
  const empty = base.latency.totalCount === 0 || next.latency.totalCount === 0;
  const baseMs = empty ? 0 : read(base.latency);
  const nextMs = empty ? 0 : read(next.latency);

  // The mean has no rank; its interval is taken as that of the median, a fair proxy for
  // the spread of a location estimate from the same histogram.
  const percentile = metric.kind === 'percentile' ? metric.percentile : 50;
  const interval = empty
    ? null
    : percentileChangeInterval(base.latency, next.latency, percentile, { seed: 7 });

  const entry = measured(scope, tolerance, 'ms', baseMs, nextMs, interval);
  const tooSmall =
    Math.abs(entry.delta) < MIN_EFFECT_MS || Math.abs(entry.deltaPercent ?? 0) < MIN_EFFECT_PERCENT;
  return decide(entry, { worseIsUp: true, tooSmall, empty });
}

function compareRps(
  scope: string,
  { base, next }: { base: Side; next: Side },
  tolerance: Tolerance,
): MetricComparison {
  const difference = meanDifferenceInterval(base.rpsPerSecond, next.rpsPerSecond);
  const centre = base.rpsPerSecond.length > 0 ? mean(base.rpsPerSecond) : base.rps;
  const interval =
    difference && centre > 0
      ? { low: (difference.low / centre) * 100, high: (difference.high / centre) * 100 }
      : null;
  const entry = measured(scope, tolerance, '/s', base.rps, next.rps, interval);
  const tooSmall = Math.abs(entry.deltaPercent ?? 0) < MIN_EFFECT_PERCENT;
  return decide(entry, { worseIsUp: false, tooSmall, empty: base.completed === 0 });
}

function compareErrors(
  scope: string,
  { base, next }: { base: Side; next: Side },
  tolerance: Tolerance,
): MetricComparison {
  const rate = (side: Side) => (side.completed > 0 ? (side.errors / side.completed) * 100 : 0);
  const interval =
    proportionDifferenceInterval(
      { hits: base.errors, total: base.completed },
      { hits: next.errors, total: next.completed },
    ) ?? null;
  const entry = measured(scope, tolerance, '%', rate(base), rate(next), interval);
  return decide(entry, { worseIsUp: true, tooSmall: entry.delta === 0, empty: false });
}

function compareStalled(
  scope: string,
  { base, next }: { base: Side; next: Side },
  tolerance: Tolerance,
): MetricComparison {
  // A stalled request is an event, not a sample: every one counts, no interval applies.
  const entry = measured(scope, tolerance, 'count', base.stalled, next.stalled, null);
  return decide(entry, { worseIsUp: true, tooSmall: entry.delta === 0, empty: false });
}

type Measured = Omit<MetricComparison, 'verdict' | 'reason'>;

function measured(
  scope: string,
  tolerance: Tolerance,
  unit: MetricComparison['unit'],
  base: number,
  next: number,
  interval: Interval | null,
): Measured {
  const delta = next - base;
  return {
    scope,
    metric: tolerance.metric.name,
    unit,
    base: round(base),
    next: round(next),
    delta: round(delta),
    deltaPercent: base !== 0 ? round((delta / base) * 100) : null,
    interval: interval && { low: round(interval.low), high: round(interval.high) },
    tolerance,
  };
}

function decide(
  entry: Measured,
  facts: { worseIsUp: boolean; tooSmall: boolean; empty: boolean },
): MetricComparison {
  const { tolerance, interval } = entry;
  if (facts.empty) return { ...entry, verdict: 'ok', reason: describeChange(entry, 'empty') };

  // The change in the tolerance's own unit, signed so that positive is worse.
  const sign = facts.worseIsUp ? 1 : -1;
  const change = sign * (tolerance.unit === '%' ? (entry.deltaPercent ?? 0) : entry.delta);
  const worseLow = interval && (facts.worseIsUp ? interval.low : -interval.high);
  const worseHigh = interval && (facts.worseIsUp ? interval.high : -interval.low);
  const real = (bound: number | null) => interval === null || (bound !== null && bound > 0);

  if (facts.tooSmall) return { ...entry, verdict: 'ok', reason: describeChange(entry, 'small') };
  if (change > tolerance.limit) {
    if (real(worseLow)) {
      return { ...entry, verdict: 'regressed', reason: describeChange(entry, 'beyond') };
    }
    return { ...entry, verdict: 'ok', reason: describeChange(entry, 'noise') };
  }
  if (-change > tolerance.limit && real(worseHigh === null ? null : -worseHigh)) {
    return { ...entry, verdict: 'improved', reason: describeChange(entry, 'improved') };
  }
  return { ...entry, verdict: 'ok', reason: describeChange(entry, 'within') };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
