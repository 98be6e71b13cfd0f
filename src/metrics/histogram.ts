// Latency histograms: HDR histograms in microseconds, so that percentiles keep three
// significant digits from 1 µs to an hour, and two runs' histograms merge exactly.

import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** Percentiles and extremes in milliseconds, as reported everywhere in chatload. */
export interface LatencySummary {
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

const MICROS_PER_MS = 1000;

export function createHistogram(): Histogram {
  // 32-bit buckets hold 4 billion samples each; autoResize lets a stall that lasts longer
  // than the initial range still be recorded instead of being clamped.
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60 * 1000 * MICROS_PER_MS,
    numberOfSignificantValueDigits: 3,
  });
}

/** Records a duration given in milliseconds (fractional) as whole microseconds. */
export function recordMs(histogram: Histogram, durationMs: number): void {
  const micros = Math.round(durationMs * MICROS_PER_MS);
  histogram.recordValue(micros < 1 ? 1 : micros);
}

function toMs(micros: number): number {
  return Math.round(micros) / MICROS_PER_MS;
}

export function summarize(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) {
    return { min: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  }
  return {
    min: toMs(histogram.minNonZeroValue),
    p50: toMs(histogram.getValueAtPercentile(50)),
    p90: toMs(histogram.getValueAtPercentile(90)),
    p95: toMs(histogram.getValueAtPercentile(95)),
    p99: toMs(histogram.getValueAtPercentile(99)),
    p999: toMs(histogram.getValueAtPercentile(99.9)),
    max: toMs(histogram.maxValue),
    mean: toMs(histogram.mean),
  };
}

export function percentileMs(histogram: Histogram, percentile: number): number {
  return histogram.totalCount === 0 ? 0 : toMs(histogram.getValueAtPercentile(percentile));
}

/** Lossless, compact text form (the HdrHistogram compressed base64 format). */
export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 32, false);
  decoded.autoResize = true;
  return decoded;
}

/** A new histogram holding the sum of the given ones. */
export function mergeHistograms(histograms: Iterable<Histogram>): Histogram {
  const merged = createHistogram();
  for (const histogram of histograms) merged.add(histogram);
  return merged;
}
