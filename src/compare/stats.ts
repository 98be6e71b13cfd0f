// The statistics behind `compare`: confidence intervals for the change in a latency
// percentile, a mean rate and an error proportion. Each interval is for the difference
// new − base, so a verdict can ask "is the change real, and is it large enough to matter?".

import type { Histogram } from '../metrics/histogram.js';

export interface Interval {
  low: number;
  high: number;
}

/** A small seeded generator (mulberry32), so that a comparison prints the same every time. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function standardNormal(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * A bootstrap interval for the relative change (in percent) of one latency percentile.
 *
 * Resampling n values from a histogram and taking the q-quantile picks, in effect, the
 * original value at a random rank: that rank is Binomial(n, q), which for the sample sizes
 * of a load test is Normal(nq, nq(1−q)). So each bootstrap draw picks a rank per run from
 * that normal, reads both histograms at those ranks and keeps the relative difference; the
 * 2.5th and 97.5th percentiles of the draws are the 95% interval. This needs no raw samples,
 * only the HDR histograms stored in the result documents.
 */
export function percentileChangeInterval(
  base: Histogram,
  next: Histogram,
  percentile: number,
  options: { resamples?: number; seed?: number } = {},
): Interval {
  const random = seededRandom(options.seed ?? 1);
  const resamples = options.resamples ?? 1000;
  const baseAt = rankSampler(base, percentile / 100, random);
  const nextAt = rankSampler(next, percentile / 100, random);

  const changes: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const baseValue = baseAt();
    changes.push(baseValue > 0 ? ((nextAt() - baseValue) / baseValue) * 100 : 0);
  }
  changes.sort((a, b) => a - b);
  return { low: quantileOfSorted(changes, 0.025), high: quantileOfSorted(changes, 0.975) };
}

function rankSampler(histogram: Histogram, q: number, random: () => number): () => number {
  const n = histogram.totalCount;
  const sd = Math.sqrt(n * q * (1 - q));

  // Reading a histogram at a percentile walks its buckets; the ranks a resample can land
  // on are few (a few standard deviations around nq), so each value is looked up once.
  const cache = new Map<number, number>();
  return () => {
    const rank = Math.min(n, Math.max(1, Math.round(n * q + sd * standardNormal(random))));
    let value = cache.get(rank);
    if (value === undefined) {
      value = histogram.getValueAtPercentile((rank / n) * 100);
      cache.set(rank, value);
    }
    return value;
  };
}

function quantileOfSorted(sorted: readonly number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.floor(q * sorted.length)));
  return sorted[index];
}

/** The 95% interval for mean(next) − mean(base) (Welch's normal approximation). */
export function meanDifferenceInterval(
  base: readonly number[],
  next: readonly number[],
): Interval | undefined {
  if (base.length < 2 || next.length < 2) return undefined;
  const difference = mean(next) - mean(base);
  const halfWidth = 1.96 * Math.sqrt(variance(base) / base.length + variance(next) / next.length);
  return { low: difference - halfWidth, high: difference + halfWidth };
}

/** The 95% interval for p(next) − p(base), in percentage points (normal approximation). */
export function proportionDifferenceInterval(
  base: { hits: number; total: number },
  next: { hits: number; total: number },
): Interval | undefined {
  if (base.total === 0 || next.total === 0) return undefined;
  const p1 = base.hits / base.total;
  const p2 = next.hits / next.total;
  const halfWidth = 1.96 * Math.sqrt((p1 * (1 - p1)) / base.total + (p2 * (1 - p2)) / next.total);
  return { low: (p2 - p1 - halfWidth) * 100, high: (p2 - p1 + halfWidth) * 100 };
}

export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / Math.max(values.length, 1);
}

function variance(values: readonly number[]): number {
  const centre = mean(values);
  return values.reduce((sum, value) => sum + (value - centre) ** 2, 0) / (values.length - 1);
}
