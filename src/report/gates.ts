// Thresholds (gates): each expression is judged against the run's numbers. The same code
// judges a live run (for --abort-on-fail) and a finished result, through `MetricsView`.

import { createHistogram, percentileMs, type Histogram } from '../metrics/histogram.js';
import type { Threshold } from '../scenario/types.js';
import type { DeliveryCounts } from '../metrics/delivery.js';

export interface StepView {
  latency: Histogram;
  count: number;
  completed: number;
  errors: number;
  stalled: number;
}

export interface MetricsView {
  steps: ReadonlyMap<string, StepView>;
  dropped: number;
  durationSec: number;
  /** Chat scenarios only. */
  delivery?: { latency: Histogram; counts: DeliveryCounts };
}

export interface ThresholdVerdict {
  expression: string;
  passed: boolean;
  /** The measured value, in the threshold's unit (ms, percent, count or per second). */
  actual: number;
  limit: number;
  unit: Threshold['unit'];
  /** Set when the value could not be measured (e.g. no requests of that step completed). */
  note?: string;
}

export function judge(thresholds: readonly Threshold[], view: MetricsView): ThresholdVerdict[] {
  return thresholds.map((threshold) => judgeOne(threshold, view));
}

function judgeOne(threshold: Threshold, view: MetricsView): ThresholdVerdict {
  const steps = selectSteps(threshold, view);
  const measured = measure(threshold, steps, view);
  const passed = measured.value !== undefined && compare(measured.value, threshold);
  return {
    expression: threshold.source,
    passed,
    actual: measured.value ?? NaN,
    limit: threshold.value,
    unit: threshold.unit,
    ...(measured.note !== undefined ? { note: measured.note } : {}),
  };
}

function selectSteps(threshold: Threshold, view: MetricsView): StepView[] {
  if (threshold.step === undefined) return [...view.steps.values()];
  const step = view.steps.get(threshold.step);
  return step === undefined ? [] : [step];
}

function measure(
  threshold: Threshold,
  steps: StepView[],
  view: MetricsView,
): { value?: number; note?: string } {
  const sum = (pick: (s: StepView) => number) => steps.reduce((t, s) => t + pick(s), 0);
  const metric = threshold.metric;
  const delivery = view.delivery;

  switch (metric.kind) {
    case 'lost':
    case 'duplicates':
    case 'seqGaps':
    case 'reconnects':
      return delivery ? { value: delivery.counts[metric.kind] } : NO_DELIVERY;
    case 'count':
      return { value: sum((s) => s.count) };
    case 'stalled':
      return { value: sum((s) => s.stalled) };
    case 'dropped':
      return { value: view.dropped };
    case 'rps':
      return { value: view.durationSec > 0 ? sum((s) => s.completed) / view.durationSec : 0 };
    case 'errors': {
      const errors = sum((s) => s.errors);
      if (threshold.unit !== 'percent') return { value: errors };
      const completed = sum((s) => s.completed);
      return completed > 0 ? { value: (errors / completed) * 100 } : { value: 0 };
    }
    default: {
      if (threshold.of === 'delivery' && delivery === undefined) return NO_DELIVERY;
      const latency = threshold.of === 'delivery' ? delivery!.latency : mergeLatency(steps);
      if (latency.totalCount === 0) return { note: 'no request completed, so no latency' };
      if (metric.kind === 'percentile') return { value: percentileMs(latency, metric.percentile) };
      if (metric.kind === 'min') return { value: latency.minNonZeroValue / 1000 };
      if (metric.kind === 'max') return { value: latency.maxValue / 1000 };
      return { value: latency.mean / 1000 };
    }
  }
}

const NO_DELIVERY = { note: 'no chat deliveries in this run (not a chat scenario)' };

function mergeLatency(steps: StepView[]): Histogram {
  if (steps.length === 1) return steps[0].latency;
  const merged = createHistogram();
  for (const step of steps) merged.add(step.latency);
  return merged;
}

function compare(actual: number, threshold: Threshold): boolean {
  const limit = threshold.value;
  switch (threshold.op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
    case '!=':
      return actual !== limit;
  }
}

/** The measured value with its unit, as printed in tables and JUnit files. */
export function formatMeasured(value: number, unit: Threshold['unit']): string {
  if (Number.isNaN(value)) return 'n/a';
  switch (unit) {
    case 'ms':
      return `${round(value)}ms`;
    case 'percent':
      return `${round(value)}%`;
    case 'perSec':
      return `${round(value)}/s`;
    case 'count':
      return String(value);
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
